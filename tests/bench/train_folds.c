/* train_folds.c: the fold plan build/train uses on a CSV file, for
 * make bench-train's scikit-learn side (the same folds on the same rows).
 * Writes one line per repeat: the fold of each row, as digits of base 36
 * (folds <= 36).  Usage: train_folds CSV SEED REPEATS FOLDS > plan */
#include <stdio.h>
#include <stdlib.h>

#include "trainer/cv.h"
#include "trainer/trainset.h"

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s CSV SEED REPEATS FOLDS\n", argv[0]);
        return 2;
    }
    size_t repeats = strtoul(argv[3], NULL, 10), folds = strtoul(argv[4], NULL, 10);
    if (repeats < 1 || folds < 2 || folds > 36) {
        fprintf(stderr, "train_folds: REPEATS >= 1 and FOLDS in [2, 36]\n");
        return 2;
    }
    char err[512];
    cv_plan plan = {0};
    int rc = 1;
    trainset *d = trainset_load_csv(argv[1], "species", folds, err, sizeof err);
    if (d == NULL) {
        fprintf(stderr, "train_folds: %s\n", err);
        goto cleanup;
    }
    if (cv_plan_make(&plan, d->y, d->n, d->nclasses, repeats, folds, strtoull(argv[2], NULL, 10)) !=
        0) {
        fprintf(stderr, "train_folds: out of memory\n");
        goto cleanup;
    }
    for (size_t r = 0; r < repeats; r++) {
        for (size_t i = 0; i < d->n; i++)
            putchar("0123456789abcdefghijklmnopqrstuvwxyz"[plan.fold[r * d->n + i]]);
        putchar('\n');
    }
    rc = fflush(stdout) == 0 ? 0 : 1;
cleanup:
    cv_plan_clear(&plan);
    trainset_free(d);
    return rc;
}
