/* trainset.h: a labelled training set (from a CSV file or a Kafka topic):
 * numeric features and one string label per row, the classes found in the
 * labels, the standardisation, and the fingerprint recorded in the artifact.
 *
 * The features and their names come from the data (a CSV header, a record's
 * fields), spelled in the artifact in snake_case (model/schema.h).  The
 * classes are the distinct labels ignoring case, lower-cased and sorted; a
 * label "word-NAME" is the class NAME when NAME is a label too, and when
 * every label starts with the same word and '-' (UCI's Iris-setosa), that
 * prefix is dropped (as model/schema.h matches "Iris-setosa" to setosa). */
#ifndef IRIS_TRAINSET_H
#define IRIS_TRAINSET_H

#include "model/model.h"
#include "model/schema.h"

#include <stddef.h>

typedef struct {
    size_t n, cap;
    size_t nfeatures;
    char feature_names[MODEL_MAX_FEATURES][SCHEMA_NAME_MAX + 1]; /* snake_case */
    char label[SCHEMA_NAME_MAX + 1];                             /* snake_case */
    size_t nclasses;
    char class_names[MODEL_MAX_CLASSES][SCHEMA_NAME_MAX + 1];
    double *x;      /* n x nfeatures, row-major */
    int *y;         /* class index per row (after trainset_finish) */
    size_t *origin; /* per row: the CSV line or Kafka record it came from */
    size_t count[MODEL_MAX_CLASSES];
    char source[256]; /* file name or kafka:topic */
    char sha256[65];  /* hex SHA-256 of the file bytes, or of the record values */
} trainset;

/* An empty training set; NULL when out of memory.  Free with trainset_free
 * (accepts NULL). */
trainset *trainset_new(const char *source);
void trainset_free(trainset *d);

/* Writes up to 40 bytes of name into out (outlen > 0) for an error message:
 * printable ASCII as it is, other bytes and '\\' as \xNN, "..." at a cut
 * (a name read from a file or a record may hold any byte). */
void trainset_shown_name(const char *name, char *out, size_t outlen);

/* Sets the feature names (1..MODEL_MAX_FEATURES, any spelling, unique by
 * schema key), written in snake_case.  Returns 0, or -1 with err naming the
 * offending name. */
int trainset_set_features(trainset *d, const char *const *names, size_t n, char *err,
                          size_t errlen);

/* Appends one row: nfeatures values and its label (any case).  origin is the
 * caller's position of the row (for errors).  Returns 0, -1 when out of
 * memory, -2 when the label is a new class beyond MODEL_MAX_CLASSES, -3
 * when the label is not a usable class name (empty, control bytes, longer
 * than SCHEMA_NAME_MAX). */
int trainset_add(trainset *d, const double *x, const char *label, size_t len, size_t origin);

/* Orders the classes (see above) and checks that there are 2 or more and
 * that each has at least min_per_class rows.  Returns 0; or -1 with *bad the
 * class at fault (its last row's origin in *origin) or -1 when there are
 * fewer than 2 classes. */
int trainset_finish(trainset *d, size_t min_per_class, int *bad, size_t *origin);

/* Loads a CSV file (trainer/csv.h grammar): a header naming the columns,
 * the label column named label (any spelling: --label), every other column
 * a numeric feature.  Each class needs at least min_per_class rows.  On
 * failure returns NULL and writes "FILE:LINE:COL: field N (name): what is
 * wrong" into err. */
trainset *trainset_load_csv(const char *path, const char *label, size_t min_per_class, char *err,
                            size_t errlen);

/* Mean and sample standard deviation of each of nf features over n rows of
 * x (a feature constant to a double's precision gets scale 1). */
void trainset_standardisation(const double *x, size_t n, size_t nf, double *mean, double *scale);

/* z = (x - mean) / scale for n rows of nf features; z may alias x.  The
 * scorer computes the same expression, so both see bit-identical
 * standardised features. */
void trainset_standardize(const double *x, size_t n, size_t nf, const double *mean,
                          const double *scale, double *z);

/* Writes the lower-case hex SHA-256 of len bytes into hex (65 bytes).
 * Returns 0, or -1 when libcrypto fails. */
int trainset_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
