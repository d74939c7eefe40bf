/* dataset.h: a labelled iris training set (from a CSV file or a Kafka topic),
 * its standardisation, and the fingerprint recorded in the artifact. */
#ifndef IRIS_DATASET_H
#define IRIS_DATASET_H

#include "model/model.h"

#include <stddef.h>

#define DATASET_NCLASSES 3

/* The trainer's classes, in artifact order. */
extern const char *const dataset_class_names[DATASET_NCLASSES];

typedef struct {
    size_t n, cap;
    double *x; /* n x MODEL_NFEATURES, row-major, centimetres */
    int *y;    /* class index per row */
    size_t count[DATASET_NCLASSES];
    char source[256]; /* file name or kafka:topic@brokers */
    char sha256[65];  /* hex SHA-256 of the file bytes, or of the record values */
} dataset;

/* An empty dataset; returns NULL when out of memory.  Free with dataset_free. */
dataset *dataset_new(const char *source);
void dataset_free(dataset *d);

/* Appends one row; returns 0 or -1 when out of memory. */
int dataset_add(dataset *d, const double x[MODEL_NFEATURES], int y);

/* Loads a CSV file with a header naming the columns sepal_length,
 * sepal_width, petal_length, petal_width and species (any order; case, '_'
 * and '.' are ignored, so R's Sepal.Length works; extra columns are ignored).
 * Species are setosa, versicolor, virginica, optionally as Iris-setosa.
 * Each class needs at least min_per_class rows.  On failure returns NULL and
 * writes "FILE:LINE: column N (name): what is wrong" into err. */
dataset *dataset_load_csv(const char *path, size_t min_per_class, char *err, size_t errlen);

/* The class index of a species name (setosa, Iris-setosa, Setosa ...), or -1. */
int dataset_species_index(const char *name, size_t len);

/* Mean and sample standard deviation of each feature over n rows of x (a
 * constant feature gets scale 1). */
void dataset_standardisation(const double *x, size_t n, double mean[MODEL_NFEATURES],
                             double scale[MODEL_NFEATURES]);

/* z = (x - mean) / scale for n rows; z may alias x.  The scorer computes the
 * same expression, so both see bit-identical standardised features. */
void dataset_standardize(const double *x, size_t n, const double mean[MODEL_NFEATURES],
                         const double scale[MODEL_NFEATURES], double *z);

/* Writes the lower-case hex SHA-256 of len bytes into hex (65 bytes).
 * Returns 0, or -1 when libcrypto fails. */
int dataset_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
