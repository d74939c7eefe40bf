/* model_json.c: field-by-field JSON readers with specific errors. */
#include "model/model_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

__attribute__((format(printf, 3, 4))) void model_json_fail(model_json_ctx *c, const char *path,
                                                           const char *fmt, ...)
{
    if (!c->errlen)
        return;
    int n = path ? snprintf(c->err, c->errlen, "%s: field \"%s\": ", c->src, path)
                 : snprintf(c->err, c->errlen, "%s: ", c->src);
    if (n < 0 || (size_t)n >= c->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

const char *model_json_type_name(const cJSON *j)
{
    if (cJSON_IsNumber(j))
        return "a number";
    if (cJSON_IsString(j))
        return "a string";
    if (cJSON_IsArray(j))
        return "an array";
    if (cJSON_IsObject(j))
        return "an object";
    if (cJSON_IsBool(j))
        return "a boolean";
    return "null";
}

void model_json_join(char *out, size_t len, const char *path, const char *name)
{
    snprintf(out, len, "%s%s%s", path, *path ? "." : "", name);
}

/* The member name of obj; NULL and an error when it is missing. */
const cJSON *model_json_member(model_json_ctx *c, const cJSON *obj, const char *path,
                               const char *name)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!j) {
        char p[160];
        model_json_join(p, sizeof p, path, name);
        model_json_fail(c, p, "missing");
    }
    return j;
}

/* The member name of obj when is(member); else NULL with "expected WANT". */
static const cJSON *typed_member(model_json_ctx *c, const cJSON *obj, const char *path,
                                 const char *name, cJSON_bool (*is)(const cJSON *),
                                 const char *want)
{
    const cJSON *j = model_json_member(c, obj, path, name);
    if (j && !is(j)) {
        char p[160];
        model_json_join(p, sizeof p, path, name);
        model_json_fail(c, p, "expected %s, got %s", want, model_json_type_name(j));
        return NULL;
    }
    return j;
}

const cJSON *model_json_object(model_json_ctx *c, const cJSON *obj, const char *path,
                               const char *name)
{
    return typed_member(c, obj, path, name, cJSON_IsObject, "an object");
}

const char *model_json_string(model_json_ctx *c, const cJSON *obj, const char *path,
                              const char *name)
{
    const cJSON *j = typed_member(c, obj, path, name, cJSON_IsString, "a string");
    return j ? j->valuestring : NULL;
}

const cJSON *model_json_array_of(model_json_ctx *c, const cJSON *obj, const char *path,
                                 const char *name, size_t n, const char *what)
{
    const cJSON *j = model_json_member(c, obj, path, name);
    if (j && (!cJSON_IsArray(j) || (size_t)cJSON_GetArraySize(j) != n)) {
        char p[160];
        model_json_join(p, sizeof p, path, name);
        model_json_fail(c, p, "expected an array of %zu %s", n, what);
        return NULL;
    }
    return j;
}

/* An array of exactly n finite model_json_numbers (n == 0: any length >= 1, returned in
 * *count); writes them to out when out is not NULL. */
const cJSON *model_json_numbers(model_json_ctx *c, const cJSON *arr, const char *path, double *out,
                                size_t n)
{
    if (!cJSON_IsArray(arr)) {
        model_json_fail(c, path, "expected an array of %zu numbers, got %s", n,
                        model_json_type_name(arr));
        return NULL;
    }
    size_t len = (size_t)cJSON_GetArraySize(arr);
    if (len != n) {
        model_json_fail(c, path, "expected an array of %zu numbers, got %zu elements", n, len);
        return NULL;
    }
    size_t i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble)) {
            char p[160];
            snprintf(p, sizeof p, "%s[%zu]", path, i);
            model_json_fail(c, p, "expected a finite number, got %s", model_json_type_name(e));
            return NULL;
        }
        if (out)
            out[i] = e->valuedouble;
    }
    return arr;
}

/* A rows x cols array of arrays of finite numbers, stored row-major in out. */
int model_json_matrix(model_json_ctx *c, const cJSON *arr, const char *path, double *out,
                      size_t rows, size_t cols)
{
    if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != rows) {
        if (cJSON_IsArray(arr))
            model_json_fail(c, path, "expected %zu rows, got %d", rows, cJSON_GetArraySize(arr));
        else
            model_json_fail(c, path, "expected an array of %zu rows, got %s", rows,
                            model_json_type_name(arr));
        return -1;
    }
    size_t i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        char p[160];
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        if (!model_json_numbers(c, e, p, out + i * cols, cols))
            return -1;
    }
    return 0;
}

int model_json_member_matrix(model_json_ctx *c, const cJSON *obj, const char *path,
                             const char *name, double *out, size_t rows, size_t cols)
{
    char p[160];
    model_json_join(p, sizeof p, path, name);
    const cJSON *j = model_json_member(c, obj, path, name);
    return j ? model_json_matrix(c, j, p, out, rows, cols) : -1;
}

int model_json_number_in(model_json_ctx *c, const cJSON *j, const char *path, double lo, double hi,
                         int whole, double *out)
{
    double v = cJSON_IsNumber(j) ? j->valuedouble : NAN;
    if (isfinite(v) && v >= lo && v <= hi && (!whole || v == floor(v))) {
        *out = v;
        return 0;
    }
    char expected[96], got[48];
    if (whole) /* the bounds are whole numbers well inside 2^53: printed exactly */
        snprintf(expected, sizeof expected, "a whole number in [%.0f, %.0f]", lo, hi);
    else
        snprintf(expected, sizeof expected, "a number from %g to %g", lo, hi);
    if (cJSON_IsNumber(j))
        snprintf(got, sizeof got, "%.17g", v);
    else
        snprintf(got, sizeof got, "%s", model_json_type_name(j));
    model_json_fail(c, path, "expected %s, got %s", expected, got);
    return -1;
}

/* A whole number in [lo, hi]. */
int model_json_integer(model_json_ctx *c, const cJSON *j, const char *path, long lo, long hi,
                       long *out)
{
    double v;
    if (model_json_number_in(c, j, path, (double)lo, (double)hi, 1, &v) != 0)
        return -1;
    *out = (long)v;
    return 0;
}

int model_json_positive(model_json_ctx *c, const char *path, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] > 0)) {
            char p[160];
            snprintf(p, sizeof p, "%s[%zu]", path, i);
            model_json_fail(c, p, "must be positive, got %.17g", v[i]);
            return -1;
        }
    }
    return 0;
}