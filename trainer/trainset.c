/* trainset.c: the labelled training set (trainset.h). */
#include "trainer/trainset.h"

#include <float.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

trainset *trainset_new(const char *source)
{
    trainset *d = calloc(1, sizeof *d);
    if (d)
        snprintf(d->source, sizeof d->source, "%s", source);
    return d;
}

void trainset_free(trainset *d)
{
    if (!d)
        return;
    free(d->x);
    free(d->y);
    free(d->origin);
    free(d);
}

/* 1 when s[0..len) is valid UTF-8 (RFC 3629: no overlong forms, surrogates
 * or code points past U+10FFFF): a name becomes a JSON string of the
 * artifact, which must be UTF-8 (RFC 8259 section 8.1). */
static int valid_utf8(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned c = u[i], cp;
        size_t n = c < 0x80                 ? 1
                   : c >= 0xC2 && c <= 0xDF ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4
                                            : 0;
        if (n == 0 || i + n > len)
            return 0;
        cp = c & (0x7Fu >> n);
        for (size_t k = 1; k < n; k++) {
            if ((u[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (u[i + k] & 0x3Fu);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n;
    }
    return 1;
}

void trainset_shown_name(const char *name, char *out, size_t outlen)
{
    size_t o = 0, i = 0;
    for (; name[i] != '\0' && i < 40; i++) {
        unsigned char c = (unsigned char)name[i];
        if (o + 5 > outlen)
            break;
        if (c >= 0x20 && c < 0x7F && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02X", c);
    }
    out[o] = '\0';
    if (name[i] != '\0' && o + 4 <= outlen)
        memcpy(out + o, "...", 4);
}

int trainset_set_features(trainset *d, const char *const *names, size_t n, char *err, size_t errlen)
{
    char keys[MODEL_MAX_FEATURES][SCHEMA_NAME_MAX + 1];
    if (n < 1 || n > MODEL_MAX_FEATURES) {
        snprintf(err, errlen, "%zu features; a model takes 1 to %d", n, MODEL_MAX_FEATURES);
        return -1;
    }
    for (size_t j = 0; j < n; j++) {
        if (!valid_utf8(names[j], strlen(names[j])) ||
            schema_key(names[j], strlen(names[j]), keys[j]) < 0 ||
            schema_snake(names[j], strlen(names[j]), d->feature_names[j]) < 0) {
            char shown[4 * 40 + 4];
            trainset_shown_name(names[j], shown, sizeof shown);
            snprintf(err, errlen,
                     "\"%s\" is not a usable feature name (1 to %d printable characters, "
                     "not only '_', '-', '.' or ' ')",
                     shown, SCHEMA_NAME_MAX);
            return -1;
        }
        for (size_t i = 0; i < j; i++)
            if (strcmp(keys[i], keys[j]) == 0) {
                snprintf(err, errlen,
                         "\"%s\" names the same feature as \"%s\" (names match ignoring case, "
                         "'_', '-', '.' and ' ')",
                         names[j], names[i]);
                return -1;
            }
    }
    d->nfeatures = n;
    return 0;
}

static int grow(trainset *d)
{
    size_t cap = d->cap ? d->cap * 2 : 256, nf = d->nfeatures;
    double *nx = realloc(d->x, cap * nf * sizeof *nx);
    if (!nx)
        return -1;
    d->x = nx;
    int *ny = realloc(d->y, cap * sizeof *ny);
    if (!ny)
        return -1;
    d->y = ny;
    size_t *no = realloc(d->origin, cap * sizeof *no);
    if (!no)
        return -1;
    d->origin = no;
    d->cap = cap;
    return 0;
}

/* The class of a label (lower-cased), added when new; or -2, -3 as trainset_add. */
static int intern_label(trainset *d, const char *label, size_t len)
{
    char name[SCHEMA_NAME_MAX + 1];
    if (len == 0 || len > SCHEMA_NAME_MAX || !valid_utf8(label, len))
        return -3;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)label[i];
        if (c < 0x20 || c == 0x7f)
            return -3;
        name[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    name[len] = '\0';
    for (size_t k = 0; k < d->nclasses; k++)
        if (strcmp(d->class_names[k], name) == 0)
            return (int)k;
    if (d->nclasses == MODEL_MAX_CLASSES)
        return -2;
    memcpy(d->class_names[d->nclasses], name, len + 1);
    return (int)d->nclasses++;
}

int trainset_add(trainset *d, const double *x, const char *label, size_t len, size_t origin)
{
    int y = intern_label(d, label, len);
    if (y < 0)
        return y;
    if (d->n == d->cap && grow(d) != 0)
        return -1;
    memcpy(d->x + d->n * d->nfeatures, x, d->nfeatures * sizeof *x);
    d->y[d->n] = y;
    d->origin[d->n++] = origin;
    d->count[y]++;
    return 0;
}

/* Merges a class "word-NAME" into the class NAME when both are labels
 * (Iris-virginica and virginica in one file), compacting the classes. */
static void merge_prefixed(trainset *d)
{
    int into[MODEL_MAX_CLASSES], rank[MODEL_MAX_CLASSES];
    size_t kept = 0;
    for (size_t k = 0; k < d->nclasses; k++) {
        const char *dash = strchr(d->class_names[k], '-');
        into[k] = (int)k;
        for (size_t r = 0; dash && dash > d->class_names[k] && r < d->nclasses; r++)
            if (r != k && strcmp(dash + 1, d->class_names[r]) == 0)
                into[k] = (int)r;
    }
    for (size_t k = 0; k < d->nclasses; k++) /* a-b-c into b-c into c (names shrink: no cycle) */
        while (into[into[k]] != into[k])
            into[k] = into[into[k]];
    for (size_t k = 0; k < d->nclasses; k++) {
        rank[k] = into[k] == (int)k ? (int)kept++ : -1;
        if (rank[k] >= 0 && (size_t)rank[k] != k)
            memcpy(d->class_names[rank[k]], d->class_names[k], sizeof d->class_names[k]);
    }
    for (size_t k = 0; k < d->nclasses; k++)
        if (rank[k] < 0)
            rank[k] = rank[into[k]];
    memset(d->count, 0, sizeof d->count);
    for (size_t i = 0; i < d->n; i++)
        d->count[d->y[i] = rank[d->y[i]]]++;
    d->nclasses = kept;
}

/* Drops a "word-" prefix that every class name shares (Iris-setosa). */
static void drop_shared_prefix(trainset *d)
{
    const char *dash = strchr(d->class_names[0], '-');
    size_t p = dash ? (size_t)(dash - d->class_names[0]) + 1 : 0;
    if (p < 2)
        return;
    for (size_t k = 0; k < d->nclasses; k++)
        if (strlen(d->class_names[k]) <= p || strncmp(d->class_names[k], d->class_names[0], p))
            return;
    for (size_t k = 0; k < d->nclasses; k++)
        memmove(d->class_names[k], d->class_names[k] + p, strlen(d->class_names[k]) - p + 1);
}

static void sort_classes(trainset *d)
{
    int order[MODEL_MAX_CLASSES], rank[MODEL_MAX_CLASSES];
    char names[MODEL_MAX_CLASSES][SCHEMA_NAME_MAX + 1];
    size_t count[MODEL_MAX_CLASSES];
    for (size_t k = 0; k < d->nclasses; k++)
        order[k] = (int)k;
    for (size_t i = 1; i < d->nclasses; i++) /* insertion sort of at most 8 */
        for (size_t j = i;
             j > 0 && strcmp(d->class_names[order[j - 1]], d->class_names[order[j]]) > 0; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (size_t k = 0; k < d->nclasses; k++) {
        rank[order[k]] = (int)k;
        memcpy(names[k], d->class_names[order[k]], sizeof names[k]);
        count[k] = d->count[order[k]];
    }
    memcpy(d->class_names, names, d->nclasses * sizeof names[0]);
    memcpy(d->count, count, d->nclasses * sizeof count[0]);
    for (size_t i = 0; i < d->n; i++)
        d->y[i] = rank[d->y[i]];
}

int trainset_finish(trainset *d, size_t min_per_class, int *bad, size_t *origin)
{
    *bad = -1;
    *origin = 0;
    merge_prefixed(d);
    if (d->nclasses < 2)
        return -1;
    drop_shared_prefix(d);
    sort_classes(d);
    for (size_t k = 0; k < d->nclasses; k++) {
        if (d->count[k] >= min_per_class)
            continue;
        *bad = (int)k;
        for (size_t i = 0; i < d->n; i++)
            if (d->y[i] == (int)k)
                *origin = d->origin[i];
        return -1;
    }
    return 0;
}

void trainset_standardisation(const double *x, size_t n, size_t nf, double *mean, double *scale)
{
    for (size_t j = 0; j < nf; j++) {
        double m = 0, ss = 0;
        for (size_t i = 0; i < n; i++)
            m += x[i * nf + j];
        m /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double d = x[i * nf + j] - m;
            ss += d * d;
        }
        double sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
        mean[j] = m;
        /* The scorer refuses a scale below 1e-100 or 2^-52 of the mean
         * (model/model_check.c): such a feature is constant to a double. */
        scale[j] = sd >= 1e-100 && sd >= DBL_EPSILON * fabs(m) ? sd : 1;
    }
}

void trainset_standardize(const double *x, size_t n, size_t nf, const double *mean,
                          const double *scale, double *z)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < nf; j++)
            z[i * nf + j] = (x[i * nf + j] - mean[j]) / scale[j];
}

int trainset_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return -1;
    for (unsigned int i = 0; i < mdlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}
