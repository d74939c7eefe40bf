/* numeric.c: Cholesky factorisation, triangular solves and softmax. */
#include "model/numeric.h"

#include <math.h>

int numeric_cholesky(size_t n, const double *a, double *l)
{
    double dmax = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(a[i * n + i]))
            return -1;
        if (a[i * n + i] > dmax)
            dmax = a[i * n + i];
    }
    if (!(dmax > 0))
        return -1;
    for (size_t j = 0; j < n; j++) {
        double d = a[j * n + j];
        for (size_t p = 0; p < j; p++)
            d -= l[j * n + p] * l[j * n + p];
        if (!(d > 1e-12 * dmax) || !isfinite(d))
            return -1;
        double ljj = sqrt(d);
        for (size_t i = j + 1; i < n; i++) {
            double s = a[i * n + j];
            for (size_t p = 0; p < j; p++)
                s -= l[i * n + p] * l[j * n + p];
            l[i * n + j] = s / ljj;
        }
        l[j * n + j] = ljj;
        for (size_t i = 0; i < j; i++)
            l[i * n + j] = 0;
    }
    return 0;
}

void numeric_solve_lower(size_t n, const double *l, const double *b, double *y)
{
    for (size_t i = 0; i < n; i++) {
        double s = b[i];
        for (size_t p = 0; p < i; p++)
            s -= l[i * n + p] * y[p];
        y[i] = s / l[i * n + i];
    }
}

void numeric_solve_lower_t(size_t n, const double *l, const double *y, double *x)
{
    for (size_t i = n; i-- > 0;) {
        double s = y[i];
        for (size_t p = i + 1; p < n; p++)
            s -= l[p * n + i] * x[p];
        x[i] = s / l[i * n + i];
    }
}

void numeric_cholesky_solve(size_t n, const double *l, const double *b, double *x)
{
    numeric_solve_lower(n, l, b, x);
    numeric_solve_lower_t(n, l, x, x);
}

double numeric_cholesky_logdet(size_t n, const double *l)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += log(l[i * n + i]);
    return 2 * s;
}

void numeric_invert_lower(size_t n, const double *l, double *linv)
{
    for (size_t j = 0; j < n; j++) {
        for (size_t i = 0; i < n; i++) {
            if (i < j) {
                linv[i * n + j] = 0;
                continue;
            }
            double s = i == j ? 1.0 : 0.0;
            for (size_t p = j; p < i; p++)
                s -= l[i * n + p] * linv[p * n + j];
            linv[i * n + j] = s / l[i * n + i];
        }
    }
}

/* The largest score wins even when it overflowed: +inf scores share the
 * probability, NaN scores get none, and when no score is usable (all NaN or
 * -inf) the classes are equally likely.  Ordinary scores take the fast path. */
static int softmax_degenerate(size_t k, const double *scores, double *probs)
{
    int best = -1;
    for (size_t i = 0; i < k; i++)
        if (!isnan(scores[i]) && (best < 0 || scores[i] > scores[best]))
            best = (int)i;
    double top = best < 0 ? -INFINITY : scores[best], n = 0;
    for (size_t i = 0; i < k; i++)
        n += probs[i] = top > -INFINITY && scores[i] == top ? 1 : top > -INFINITY ? 0 : 1;
    for (size_t i = 0; i < k; i++)
        probs[i] /= n;
    return best < 0 ? 0 : best;
}

int numeric_softmax(size_t k, const double *scores, double *probs)
{
    int best = 0, nan = isnan(scores[0]);
    for (size_t i = 1; i < k; i++) {
        nan |= isnan(scores[i]);
        if (scores[i] > scores[best])
            best = (int)i;
    }
    double m = scores[best], sum = 0;
    if (nan || !isfinite(m))
        return softmax_degenerate(k, scores, probs);
    for (size_t i = 0; i < k; i++) {
        probs[i] = exp(scores[i] - m);
        sum += probs[i];
    }
    for (size_t i = 0; i < k; i++)
        probs[i] /= sum;
    return best;
}
