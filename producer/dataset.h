/* dataset: the iris rows the producer samples from, read from a CSV file with
 * the header sepal_length,sepal_width,petal_length,petal_width,species.
 *
 * Feature values keep their original text, so the JSON the producer writes
 * shows each number exactly as the CSV does. */
#ifndef PRODUCER_DATASET_H
#define PRODUCER_DATASET_H

#include <stddef.h>

#define DATASET_FEATURES 4

struct dataset_row {
    char *text[DATASET_FEATURES]; /* the numbers as written in the file */
    double value[DATASET_FEATURES];
    int decimals[DATASET_FEATURES]; /* digits after the decimal point */
    size_t species;                 /* index into dataset.species */
    int line;                       /* 1-based line number in the file */
};

struct dataset {
    struct dataset_row *rows;
    size_t n_rows;
    char **species; /* distinct species names, in order of first appearance */
    size_t n_species;
};

/* The CSV column names, in order. */
extern const char *const dataset_columns[DATASET_FEATURES + 1];

/* Loads a CSV file.  Returns a dataset the caller frees with dataset_free(),
 * or NULL with "FILE:LINE: reason" in err. */
struct dataset *dataset_load(const char *path, char *err, size_t errlen);

/* Parses CSV text already in memory; name is used in error messages. */
struct dataset *dataset_parse(const char *text, size_t len, const char *name, char *err,
                              size_t errlen);

/* Frees a dataset; accepts NULL. */
void dataset_free(struct dataset *ds);

#endif
