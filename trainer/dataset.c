/* dataset.c: the labelled training set and its CSV loader. */
#include "trainer/dataset.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const dataset_class_names[DATASET_NCLASSES] = {"setosa", "versicolor", "virginica"};

/* Column keys after normalisation (lower case, without '_', '.', '-', ' '). */
static const char *const column_keys[MODEL_NFEATURES + 1] = {
    "sepallength", "sepalwidth", "petallength", "petalwidth", "species"};
static const char *const column_names[MODEL_NFEATURES + 1] = {
    "sepal_length", "sepal_width", "petal_length", "petal_width", "species"};

dataset *dataset_new(const char *source)
{
    dataset *d = calloc(1, sizeof *d);
    if (d)
        snprintf(d->source, sizeof d->source, "%s", source);
    return d;
}

void dataset_free(dataset *d)
{
    if (!d)
        return;
    free(d->x);
    free(d->y);
    free(d);
}

int dataset_add(dataset *d, const double x[MODEL_NFEATURES], int y)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 256;
        double *nx = realloc(d->x, cap * MODEL_NFEATURES * sizeof *nx);
        if (!nx)
            return -1;
        d->x = nx;
        int *ny = realloc(d->y, cap * sizeof *ny);
        if (!ny)
            return -1;
        d->y = ny;
        d->cap = cap;
    }
    memcpy(d->x + d->n * MODEL_NFEATURES, x, MODEL_NFEATURES * sizeof *x);
    d->y[d->n++] = y;
    d->count[y]++;
    return 0;
}

int dataset_species_index(const char *name, size_t len)
{
    if (len > 5 && strncasecmp(name, "iris-", 5) == 0) {
        name += 5;
        len -= 5;
    }
    for (size_t k = 0; k < DATASET_NCLASSES; k++)
        if (strlen(dataset_class_names[k]) == len &&
            strncasecmp(name, dataset_class_names[k], len) == 0)
            return (int)k;
    return -1;
}

void dataset_standardisation(const double *x, size_t n, double mean[MODEL_NFEATURES],
                             double scale[MODEL_NFEATURES])
{
    for (size_t j = 0; j < MODEL_NFEATURES; j++) {
        double m = 0, ss = 0;
        for (size_t i = 0; i < n; i++)
            m += x[i * MODEL_NFEATURES + j];
        m /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double d = x[i * MODEL_NFEATURES + j] - m;
            ss += d * d;
        }
        double sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
        mean[j] = m;
        scale[j] = sd > 0 ? sd : 1;
    }
}

void dataset_standardize(const double *x, size_t n, const double mean[MODEL_NFEATURES],
                         const double scale[MODEL_NFEATURES], double *z)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < MODEL_NFEATURES; j++)
            z[i * MODEL_NFEATURES + j] = (x[i * MODEL_NFEATURES + j] - mean[j]) / scale[j];
}

int dataset_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return -1;
    for (unsigned int i = 0; i < mdlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}

__attribute__((format(printf, 3, 4))) static void csv_error(char *err, size_t errlen,
                                                            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* One field of a line: [*s, *e) with spaces and surrounding quotes removed. */
typedef struct {
    const char *s, *e;
} field;

static size_t split(const char *line, const char *end, field *f, size_t max)
{
    size_t n = 0;
    const char *p = line;
    for (;;) {
        const char *q = p;
        while (q < end && *q != ',')
            q++;
        if (n < max) {
            const char *s = p, *e = q;
            while (s < e && isspace((unsigned char)*s))
                s++;
            while (e > s && isspace((unsigned char)e[-1]))
                e--;
            if (e - s >= 2 && *s == '"' && e[-1] == '"') {
                s++;
                e--;
            }
            f[n].s = s;
            f[n].e = e;
        }
        n++;
        if (q >= end)
            return n;
        p = q + 1;
    }
}

static void normalise_key(const field *f, char *out, size_t len)
{
    size_t n = 0;
    for (const char *p = f->s; p < f->e && n + 1 < len; p++)
        if (*p != '_' && *p != '.' && *p != '-' && *p != ' ')
            out[n++] = (char)tolower((unsigned char)*p);
    out[n] = '\0';
}

#define MAX_COLUMNS 64

/* Maps each wanted column to its index in the header; -1 with err if missing. */
static int read_header(const char *path, const char *line, const char *end, int col[5], char *err,
                       size_t errlen)
{
    field f[MAX_COLUMNS];
    size_t n = split(line, end, f, MAX_COLUMNS);
    if (n > MAX_COLUMNS)
        n = MAX_COLUMNS;
    for (size_t c = 0; c < 5; c++) {
        col[c] = -1;
        for (size_t i = 0; i < n && col[c] < 0; i++) {
            char key[32];
            normalise_key(&f[i], key, sizeof key);
            if (strcmp(key, column_keys[c]) == 0)
                col[c] = (int)i;
        }
        if (col[c] < 0) {
            csv_error(err, errlen,
                      "%s:1: header has no column \"%s\" (need sepal_length, sepal_width, "
                      "petal_length, petal_width, species)",
                      path, column_names[c]);
            return -1;
        }
    }
    return 0;
}

static int read_row(const char *path, size_t lineno, const char *line, const char *end,
                    const int col[5], double x[MODEL_NFEATURES], int *y, char *err, size_t errlen)
{
    field f[MAX_COLUMNS];
    size_t n = split(line, end, f, MAX_COLUMNS);
    for (size_t c = 0; c < 5; c++) {
        size_t i = (size_t)col[c];
        if (i >= n) {
            csv_error(err, errlen, "%s:%zu: column %zu (%s): missing (the row has %zu fields)",
                      path, lineno, i + 1, column_names[c], n);
            return -1;
        }
        int len = (int)(f[i].e - f[i].s);
        if (c == MODEL_NFEATURES) {
            *y = dataset_species_index(f[i].s, (size_t)len);
            if (*y < 0) {
                csv_error(err, errlen,
                          "%s:%zu: column %zu (%s): unknown species \"%.*s\" (expected setosa, "
                          "versicolor or virginica)",
                          path, lineno, i + 1, column_names[c], len, f[i].s);
                return -1;
            }
            continue;
        }
        char buf[64], *endp;
        double v = NAN;
        if (len > 0 && (size_t)len < sizeof buf) {
            memcpy(buf, f[i].s, (size_t)len);
            buf[len] = '\0';
            errno = 0;
            v = strtod(buf, &endp);
            if (*endp != '\0' || errno == ERANGE)
                v = NAN;
        }
        if (!isfinite(v)) {
            csv_error(err, errlen, "%s:%zu: column %zu (%s): expected a number, got \"%.*s\"", path,
                      lineno, i + 1, column_names[c], len, f[i].s);
            return -1;
        }
        x[c] = v;
    }
    return 0;
}

dataset *dataset_load_csv(const char *path, size_t min_per_class, char *err, size_t errlen)
{
    dataset *d = NULL;
    char *text = NULL;
    size_t len = 0;
    size_t last_line[DATASET_NCLASSES] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) {
        csv_error(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || ftell(f) < 0) {
        csv_error(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        goto on_error;
    }
    len = (size_t)ftell(f);
    rewind(f);
    text = malloc(len + 1);
    if (!text || fread(text, 1, len, f) != len) {
        csv_error(err, errlen, "%s: cannot read %zu bytes", path, len);
        goto on_error;
    }
    text[len] = '\0';
    if (!(d = dataset_new(path)) || dataset_sha256_hex(text, len, d->sha256) != 0) {
        csv_error(err, errlen, "%s: out of memory or SHA-256 failed", path);
        goto on_error;
    }
    int col[5], have_header = 0;
    size_t lineno = 0;
    for (const char *p = text; p < text + len;) {
        const char *e = memchr(p, '\n', (size_t)(text + len - p));
        const char *next = e ? e + 1 : text + len;
        if (!e)
            e = text + len;
        if (e > p && e[-1] == '\r')
            e--;
        lineno++;
        const char *q = p;
        while (q < e && isspace((unsigned char)*q))
            q++;
        if (q < e && !have_header) {
            if (read_header(path, p, e, col, err, errlen) != 0)
                goto on_error;
            have_header = 1;
        } else if (q < e) {
            double x[MODEL_NFEATURES];
            int y;
            if (read_row(path, lineno, p, e, col, x, &y, err, errlen) != 0)
                goto on_error;
            if (dataset_add(d, x, y) != 0) {
                csv_error(err, errlen, "%s:%zu: out of memory", path, lineno);
                goto on_error;
            }
            last_line[y] = lineno;
        }
        p = next;
    }
    if (!have_header) {
        csv_error(err, errlen, "%s:1: empty file (expected a header and rows)", path);
        goto on_error;
    }
    for (size_t k = 0; k < DATASET_NCLASSES; k++) {
        if (d->count[k] >= min_per_class)
            continue;
        int sc = col[MODEL_NFEATURES] + 1;
        if (d->count[k] == 0)
            csv_error(err, errlen,
                      "%s:%zu: column %d (species): no rows of class \"%s\"; each class "
                      "needs at least %zu rows (one per cross-validation fold)",
                      path, lineno, sc, dataset_class_names[k], min_per_class);
        else
            csv_error(err, errlen,
                      "%s:%zu: column %d (species): class \"%s\" has only %zu rows (its last "
                      "here), fewer than the %zu cross-validation folds",
                      path, last_line[k], sc, dataset_class_names[k], d->count[k], min_per_class);
        goto on_error;
    }
    free(text);
    fclose(f);
    return d;
on_error:
    dataset_free(d);
    free(text);
    fclose(f);
    return NULL;
}
