/* batch_key.c: the record's key on the fast path, echoed exactly as the
 * cJSON path writes it (write_json_value in batch_cjson.c): null, a plain string,
 * or compact JSON for an object, array, number or boolean key.  Anything
 * outside that subset returns -1 and the record goes to the cJSON path. */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "lambda/batch/batch_internal.h"
#include "lambda/batch/jscan.h"

/* A string key without escapes, kept as its JSON text (as the cJSON path
 * writes it); one with escapes is left to the cJSON path. */
static int plain_string_key(batch_record *rec, const char **p, const char *end)
{
    const char *t;
    size_t tlen;
    if (jscan_plain_string(p, end, &t, &tlen) != 0)
        return -1;
    size_t i = 0;
    while (i < tlen && (unsigned char)t[i] < 0x80)
        i++;
    if (i < tlen) { /* not ASCII: buf_json_str makes it valid UTF-8 */
        buf k = BUF_INIT;
        buf_json_str(&k, t, tlen);
        return batch_set_key(rec, &k);
    }
    /* ASCII without escapes or control characters: buf_json_str's output is
     * the text between quotes, so it is written here without a buffer. */
    if ((rec->key = malloc(tlen + 3)) == NULL)
        return BATCH_ERR_NOMEM;
    rec->key[0] = '"';
    memcpy(rec->key + 1, t, tlen);
    memcpy(rec->key + 1 + tlen, "\"", 2);
    return 0;
}

#define KEY_MAX_DEPTH 16

static int literal(const char **p, const char *end, const char *lit, size_t n)
{
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
        return -1;
    *p += n;
    return 0;
}

/* Rewrites a key (object, array, number, boolean; strings and nulls inside) as compact JSON
 * into o, exactly as the cJSON path writes it (write_json_value in batch_cjson.c:
 * strings through buf_json_str, numbers through buf_json_double of the same
 * correctly rounded double).  Anything outside that subset (escapes, numbers
 * that need strtod, deeper nesting) returns -1: the cJSON path reads it. */
static int copy_key_value(const char **p, const char *end, buf *o, int depth)
{
    const char *t;
    size_t tlen;
    double x;
    const char *s = *p;
    if (s >= end)
        return -1;
    if (*s == '"') {
        if (jscan_plain_string(&s, end, &t, &tlen) != 0)
            return -1;
        buf_json_str(o, t, tlen);
    } else if (*s == '{' || *s == '[') {
        char close = *s == '{' ? '}' : ']';
        if (depth == KEY_MAX_DEPTH)
            return -1;
        buf_putc(o, *s);
        s = jscan_ws(s + 1, end);
        for (int first = 1; s < end && *s != close; first = 0) {
            if (!first) {
                if (*s != ',')
                    return -1;
                buf_putc(o, ',');
                s = jscan_ws(s + 1, end);
            }
            if (close == '}') {
                if (jscan_member_key(&s, end, &t, &tlen) != 0)
                    return -1;
                buf_json_str(o, t, tlen);
                buf_putc(o, ':');
            }
            if (copy_key_value(&s, end, o, depth + 1) != 0)
                return -1;
            s = jscan_ws(s, end);
        }
        if (s >= end)
            return -1;
        buf_putc(o, close);
        s++;
    } else if (literal(&s, end, "true", 4) == 0 || literal(&s, end, "false", 5) == 0 ||
               literal(&s, end, "null", 4) == 0) {
        buf_append(o, *p, (size_t)(s - *p));
    } else if (jscan_number(&s, end, &x) == 0) {
        buf_json_double(o, x);
    } else {
        return -1;
    }
    *p = s;
    return 0;
}

int batch_fast_key(batch_record *rec, const char **p, const char *end)
{
    if (jscan_null(p, end) == 0)
        return 0;
    if (*p < end && **p == '"')
        return plain_string_key(rec, p, end);
    buf k = BUF_INIT;
    if (copy_key_value(p, end, &k, 0) != 0) {
        buf_free(&k);
        return -1;
    }
    return batch_set_key(rec, &k);
}
