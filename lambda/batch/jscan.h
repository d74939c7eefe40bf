/* jscan.h: a small strict JSON scanner (RFC 8259) over a buffer, for the
 * batch parser's fast path.  It never allocates.  Every function takes a
 * cursor (*p) and the end of the buffer; on success it advances *p past
 * what it read and returns 0, on anything it does not accept it returns -1
 * and leaves *p unspecified.  "Does not accept" includes valid JSON outside
 * its subset (string escapes where it wants plain text, numbers that need
 * strtod): the caller then falls back to cJSON, which stays the reference.
 */
#ifndef IRIS_JSCAN_H
#define IRIS_JSCAN_H

#include <stddef.h>
#include <stdint.h>

#define JSCAN_MAX_DEPTH 64

static inline const char *jscan_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* Skips one complete JSON value of any type, validating it (strings with
 * escapes and \u sequences included; raw control characters rejected). */
int jscan_skip(const char **p, const char *end);

/* A string without backslash escapes: its contents are returned in s and len. */
int jscan_plain_string(const char **p, const char *end, const char **s, size_t *len);

/* A string with at most the two-character escapes (\" \\ \/ \b \f \n \r \t),
 * decoded into out (cap bytes, not terminated); its length goes to len.
 * \u escapes and strings longer than cap return -1. */
int jscan_unescape_string(const char **p, const char *end, char *out, size_t cap, size_t *len);

/* A number read exactly: integers and decimals with up to 15 significant
 * digits and a small exponent (the result is then correctly rounded, as
 * strtod would give); anything else returns -1. */
int jscan_number(const char **p, const char *end, double *out);

/* An integer without fraction or exponent that fits in int64. */
int jscan_int64(const char **p, const char *end, int64_t *out);

/* The literal null. */
int jscan_null(const char **p, const char *end);

#endif
