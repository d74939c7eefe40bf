/* model_json.h: reading a JSON document field by field with specific errors.
 * Each reader checks one field's type and shape; on failure it writes
 * "SRC: field \"PATH\": what was wrong" into the context's buffer and
 * returns NULL or -1.  PATH is a dotted path with indices, such as
 * fitted.means[1].  Internal to the scorer (model_load.c). */
#ifndef IRIS_MODEL_JSON_H
#define IRIS_MODEL_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct {
    const char *src; /* file name or "model JSON" */
    char *err;
    size_t errlen;
} model_json_ctx;

/* Writes the error "SRC: field \"path\": ..." (or "SRC: ..." when path is NULL). */
__attribute__((format(printf, 3, 4))) void model_json_fail(model_json_ctx *c, const char *path,
                                                           const char *fmt, ...);

/* "a number", "a string", ... for messages. */
const char *model_json_type_name(const cJSON *j);

/* out = path.name (or name when path is empty). */
void model_json_join(char *out, size_t len, const char *path, const char *name);

/* The member name of obj (of any type, or an object, or a string); NULL with
 * an error when missing or of another type. */
const cJSON *model_json_member(model_json_ctx *c, const cJSON *obj, const char *path,
                               const char *name);
const cJSON *model_json_object(model_json_ctx *c, const cJSON *obj, const char *path,
                               const char *name);
const char *model_json_string(model_json_ctx *c, const cJSON *obj, const char *path,
                              const char *name);

/* The member name of obj: an array of exactly n elements; else NULL with the
 * error "expected an array of N WHAT" (what: e.g. "matrices (one per class)"). */
const cJSON *model_json_array_of(model_json_ctx *c, const cJSON *obj, const char *path,
                                 const char *name, size_t n, const char *what);

/* arr is an array of exactly n finite numbers, copied to out when out is not
 * NULL; returns arr or NULL. */
const cJSON *model_json_numbers(model_json_ctx *c, const cJSON *arr, const char *path, double *out,
                                size_t n);

/* arr is rows arrays of cols finite numbers, stored row-major in out. */
int model_json_matrix(model_json_ctx *c, const cJSON *arr, const char *path, double *out,
                      size_t rows, size_t cols);

/* The same for the member name of obj. */
int model_json_member_matrix(model_json_ctx *c, const cJSON *obj, const char *path,
                             const char *name, double *out, size_t rows, size_t cols);

/* j is a finite number in [lo, hi] (a whole one when whole), stored in *out;
 * otherwise fails with "expected a whole number in [lo, hi], got ..." or
 * "expected a number from lo to hi, got ..." (the number, or j's type). */
int model_json_number_in(model_json_ctx *c, const cJSON *j, const char *path, double lo, double hi,
                         int whole, double *out);

/* j is a whole number in [lo, hi]. */
int model_json_integer(model_json_ctx *c, const cJSON *j, const char *path, long lo, long hi,
                       long *out);

/* Every v[i] > 0; the error names path[i]. */
int model_json_positive(model_json_ctx *c, const char *path, const double *v, size_t n);

#endif
