/* trainset_csv.c: a training set from a CSV file (trainset_load_csv). */
#include "trainer/csv.h"
#include "trainer/trainset.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLUMNS (MODEL_MAX_FEATURES + 1)

typedef struct {
    const char *path;
    size_t ncols;
    int label_col;
    char names[MAX_COLUMNS][SCHEMA_NAME_MAX + 1]; /* as in the header */
    size_t line;                                  /* of the header */
    char *err;
    size_t errlen;
} csv_layout;

__attribute__((format(printf, 4, 5))) static int fail_field(csv_layout *t, const csv_field *f,
                                                            size_t i, const char *fmt, ...)
{
    int n = snprintf(t->err, t->errlen, "%s:%zu:%zu: field %zu (%s): ", t->path, f->line, f->col,
                     i + 1, t->names[i]);
    if (n >= 0 && (size_t)n < t->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->err + n, t->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* The header: column names; the label column; the features (the others). */
static int read_header(csv_reader *r, csv_layout *t, const char *label, trainset *d)
{
    csv_field f[MAX_COLUMNS + 1];
    long n = csv_next(r, f, MAX_COLUMNS + 1, t->err, t->errlen);
    if (n < 0)
        return -1;
    if (n == 0) {
        snprintf(t->err, t->errlen, "%s:1: empty file (expected a header and rows)", t->path);
        return -1;
    }
    t->line = f[0].line;
    if (n > MAX_COLUMNS) {
        snprintf(t->err, t->errlen,
                 "%s:%zu:%zu: %ld columns; at most %d (%d features and the label)", t->path,
                 f[MAX_COLUMNS].line, f[MAX_COLUMNS].col, n, MAX_COLUMNS, MODEL_MAX_FEATURES);
        return -1;
    }
    char want[SCHEMA_NAME_MAX + 1], key[SCHEMA_NAME_MAX + 1];
    const char *features[MAX_COLUMNS];
    size_t nf = 0;
    t->ncols = (size_t)n;
    t->label_col = -1;
    if (schema_key(label, strlen(label), want) < 0) {
        snprintf(t->err, t->errlen, "--label \"%s\": not a usable column name", label);
        return -1;
    }
    for (size_t i = 0; i < t->ncols; i++) {
        if (schema_key(f[i].s, f[i].len, key) < 0 || strlen(f[i].s) != f[i].len) {
            char shown[4 * 40 + 4];
            trainset_shown_name(f[i].s, shown, sizeof shown);
            snprintf(t->err, t->errlen,
                     "%s:%zu:%zu: column %zu: \"%s\" is not a usable column name (1 to %d "
                     "printable characters, not only '_', '-', '.' or ' ')",
                     t->path, f[i].line, f[i].col, i + 1, shown, SCHEMA_NAME_MAX);
            return -1;
        }
        memcpy(t->names[i], f[i].s, f[i].len + 1);
        if (strcmp(key, want) == 0 && t->label_col < 0)
            t->label_col = (int)i;
        else
            features[nf++] = t->names[i];
    }
    if (t->label_col < 0) {
        snprintf(t->err, t->errlen,
                 "%s:%zu: the header has no column \"%s\" (the label; choose another with "
                 "--label COLUMN)",
                 t->path, t->line, label);
        return -1;
    }
    char why[256];
    schema_snake(t->names[t->label_col], strlen(t->names[t->label_col]), d->label);
    if (trainset_set_features(d, features, nf, why, sizeof why) != 0) {
        snprintf(t->err, t->errlen, "%s:%zu: header: %s", t->path, t->line, why);
        return -1;
    }
    return 0;
}

static int read_value(csv_layout *t, const csv_field *f, size_t i, double *out)
{
    int rc = csv_decimal(f->s, f->len, out);
    if (rc == -2)
        return fail_field(t, f, i, "%.40s is beyond the range of a double", f->s);
    if (rc != 0)
        return fail_field(t, f, i, "expected a decimal number, got \"%.40s\"", f->s);
    return 0;
}

/* One data row; *done set at the end of the file. */
static int read_row(csv_reader *r, csv_layout *t, trainset *d, int *done)
{
    csv_field f[MAX_COLUMNS + 1];
    double x[MODEL_MAX_FEATURES];
    long n = csv_next(r, f, t->ncols + 1, t->err, t->errlen);
    if (n <= 0) {
        *done = n == 0;
        return n;
    }
    if ((size_t)n != t->ncols) {
        size_t at = (size_t)n > t->ncols ? t->ncols : (size_t)n - 1;
        snprintf(t->err, t->errlen, "%s:%zu:%zu: %ld fields, but the header (line %zu) has %zu%s",
                 t->path, f[at].line, f[at].col, n, t->line, t->ncols,
                 (size_t)n > t->ncols ? " (this is the first extra field)" : "");
        return -1;
    }
    size_t nf = 0;
    for (size_t i = 0; i < t->ncols; i++)
        if ((int)i != t->label_col && read_value(t, &f[i], i, &x[nf++]) != 0)
            return -1;
    const csv_field *lf = &f[t->label_col];
    int rc = trainset_add(d, x, lf->s, lf->len, lf->line);
    char shown[4 * 40 + 4];
    trainset_shown_name(lf->s, shown, sizeof shown);
    if (rc == -1)
        return fail_field(t, lf, (size_t)t->label_col, "out of memory");
    if (rc == -2)
        return fail_field(t, lf, (size_t)t->label_col,
                          "\"%s\" would be a class beyond the %d a model can have (is this "
                          "the label column?)",
                          shown, MODEL_MAX_CLASSES);
    if (rc == -3)
        return fail_field(t, lf, (size_t)t->label_col,
                          "\"%s\" is not a usable label (1 to %d printable characters)", shown,
                          SCHEMA_NAME_MAX);
    return 0;
}

static int check_classes(csv_layout *t, trainset *d, size_t min_per_class)
{
    int bad;
    size_t line;
    if (trainset_finish(d, min_per_class, &bad, &line) == 0)
        return 0;
    const char *col = t->names[t->label_col];
    if (bad < 0)
        snprintf(t->err, t->errlen,
                 "%s: column %d (%s): %zu distinct label%s in %zu rows; a classifier needs at "
                 "least 2",
                 t->path, t->label_col + 1, col, d->nclasses, d->nclasses == 1 ? "" : "s", d->n);
    else
        snprintf(t->err, t->errlen,
                 "%s:%zu: column %d (%s): class \"%s\" has only %zu rows (its last here), fewer "
                 "than the %zu cross-validation folds",
                 t->path, line, t->label_col + 1, col, d->class_names[bad], d->count[bad],
                 min_per_class);
    return -1;
}

trainset *trainset_load_csv(const char *path, const char *label, size_t min_per_class, char *err,
                            size_t errlen)
{
    trainset *d = NULL, *result = NULL;
    csv_reader r;
    csv_layout t = {.path = path, .err = err, .errlen = errlen};
    const char *bytes;
    size_t nbytes;
    if (csv_open(&r, path, &bytes, &nbytes, err, errlen) != 0)
        goto cleanup;
    if (!(d = trainset_new(path)) || trainset_sha256_hex(bytes, nbytes, d->sha256) != 0) {
        snprintf(err, errlen, "%s: out of memory or SHA-256 failed", path);
        goto cleanup;
    }
    if (read_header(&r, &t, label, d) != 0)
        goto cleanup;
    for (int done = 0; !done;)
        if (read_row(&r, &t, d, &done) != 0)
            goto cleanup;
    if (check_classes(&t, d, min_per_class) != 0)
        goto cleanup;
    result = d;
    d = NULL;
cleanup:
    trainset_free(d);
    csv_close(&r);
    return result;
}
