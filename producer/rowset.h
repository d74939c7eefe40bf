/* rowset: the iris rows the producer samples from, read from a CSV file with
 * the header sepal_length,sepal_width,petal_length,petal_width,species.
 *
 * Feature values keep their original text, so the JSON the producer writes
 * shows each number exactly as the CSV does. */
#ifndef PRODUCER_ROWSET_H
#define PRODUCER_ROWSET_H

#include <stddef.h>

#define ROWSET_FEATURES 4

struct rowset_row {
    char *text[ROWSET_FEATURES]; /* the numbers as written in the file */
    double value[ROWSET_FEATURES];
    int decimals[ROWSET_FEATURES]; /* digits after the decimal point */
    size_t species;                /* index into rowset.species */
    int line;                      /* 1-based line number in the file */
};

struct rowset {
    struct rowset_row *rows;
    size_t n_rows;
    char **species; /* distinct species names, in order of first appearance */
    size_t n_species;
};

/* The CSV column names, in order. */
extern const char *const rowset_columns[ROWSET_FEATURES + 1];

/* Loads a CSV file.  Returns a row set the caller frees with rowset_free(),
 * or NULL with "FILE:LINE: reason" in err. */
struct rowset *rowset_load(const char *path, char *err, size_t errlen);

/* Parses CSV text already in memory; name is used in error messages. */
struct rowset *rowset_parse(const char *text, size_t len, const char *name, char *err,
                            size_t errlen);

/* Frees a row set; accepts NULL. */
void rowset_free(struct rowset *ds);

#endif
