/* numeric.h: the small dense linear algebra and probability helpers shared by
 * the scorer and the trainer.  Matrices are row-major n x n arrays of double.
 * Nothing here allocates. */
#ifndef IRIS_NUMERIC_H
#define IRIS_NUMERIC_H

#include <stddef.h>

/* Cholesky factorisation a = l l^T of a symmetric positive definite n x n
 * matrix (only the lower triangle of a is read).  Writes the lower-triangular
 * factor into l (zeros above the diagonal); l may alias a.  Returns 0, or -1
 * when a is not numerically positive definite (a pivot <= 1e-12 times the
 * largest diagonal element, or not finite). */
int numeric_cholesky(size_t n, const double *a, double *l);

/* Solves l y = b for y by forward substitution (l lower triangular). */
void numeric_solve_lower(size_t n, const double *l, const double *b, double *y);

/* Solves l^T x = y for x by back substitution (l lower triangular). */
void numeric_solve_lower_t(size_t n, const double *l, const double *y, double *x);

/* Solves a x = b given the Cholesky factor l of a. */
void numeric_cholesky_solve(size_t n, const double *l, const double *b, double *x);

/* log det a given the Cholesky factor l of a: 2 * sum log l_ii. */
double numeric_cholesky_logdet(size_t n, const double *l);

/* Writes the inverse of the lower-triangular l (also lower triangular). */
void numeric_invert_lower(size_t n, const double *l, double *linv);

/* Turns k scores into probabilities with a max-shifted softmax (no overflow,
 * sums to 1) and returns the index of the largest score (the first on ties).
 * Total: an infinite largest score takes all the probability (shared between
 * equal ones), a NaN score gets none, and if no score is usable the classes
 * are equally likely, so the output is always finite and normalised.
 * scores and probs may alias. */
int numeric_softmax(size_t k, const double *scores, double *probs);

#endif
