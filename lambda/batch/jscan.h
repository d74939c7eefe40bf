/* jscan.h: a small strict JSON scanner (RFC 8259) over a buffer, for the
 * batch parser.  It never allocates and never recurses deeper than
 * JSCAN_MAX_DEPTH, and every function runs in time linear in what it reads.
 * Every function takes a cursor (*p) and the end of the buffer; on success
 * it advances *p past what it read and returns 0, on anything it does not
 * accept it returns a negative jscan_status and leaves *p unspecified.
 * "Does not accept" includes valid JSON outside a function's subset (string
 * escapes where it wants plain text, numbers that need strtod): the caller
 * then falls back to cJSON, which stays the reference.
 */
#ifndef IRIS_JSCAN_H
#define IRIS_JSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Below cJSON's CJSON_NESTING_LIMIT (1000), so that whatever jscan accepts
 * cJSON can read. */
#define JSCAN_MAX_DEPTH 512

enum jscan_status {
    JSCAN_OK = 0,
    JSCAN_ERR_SYNTAX = -1,    /* not RFC 8259 JSON, or outside the function's subset */
    JSCAN_ERR_DEPTH = -2,     /* arrays/objects nested deeper than JSCAN_MAX_DEPTH */
    JSCAN_ERR_VALUES = -3,    /* more values than the caller allows */
    JSCAN_ERR_SURROGATE = -4, /* a \u escape of a lone UTF-16 surrogate (cJSON rejects it) */
    JSCAN_ERR_NUL = -5,       /* a \u0000 escape (cJSON would cut the string at it) */
    JSCAN_ERR_DEEP = -6,      /* JSCAN_DEEP: valid, but nested deeper than JSCAN_MAX_DEPTH */
};

/* jscan_value()'s flags. */
#define JSCAN_GRAMMAR 0            /* RFC 8259's grammar only */
#define JSCAN_NO_LONE_SURROGATES 1 /* also what cJSON can read: no lone surrogates */
#define JSCAN_NO_NUL 2             /* also no \u0000 (cJSON's valuestring would end there) */
/* Nesting past JSCAN_MAX_DEPTH is validated too (without recursion, in one
 * bit of memory per level past it) instead of failing there at once: a
 * value that is valid otherwise then returns JSCAN_ERR_DEEP with *p past
 * it and info->at at its first bracket past the limit, so that the caller
 * can go on after it.  (JSCAN_ERR_DEPTH only if that memory ran out.) */
#define JSCAN_DEEP 4

/* What jscan_value() found: how many values it read (the value itself and
 * every value nested in it), and on failure where the problem is. */
typedef struct jscan_info {
    size_t values;
    const char *at;
} jscan_info;

static inline const char *jscan_ws(const char *p, const char *end)
{
    if (p < end && (unsigned char)*p > ' ')
        return p; /* compact JSON: no whitespace at all, one compare */
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* Validates and skips one JSON value of any type (leading whitespace
 * allowed), counting the values in it; more than max_values fails with
 * JSCAN_ERR_VALUES as soon as it is seen.  info may be NULL. */
int jscan_value(const char **p, const char *end, int flags, size_t max_values, jscan_info *info);

/* jscan_value() of a value nested depth levels inside its document (the
 * top-level value is at depth 0): the depth limit counts from the top. */
int jscan_value_nested(const char **p, const char *end, int flags, size_t max_values, int depth,
                       jscan_info *info);

/* jscan_value(p, end, JSCAN_NO_LONE_SURROGATES, no limit): one value cJSON reads. */
int jscan_skip(const char **p, const char *end);

/* jscan_skip() of a value nested depth levels inside its document (the
 * top-level value is at depth 0): the depth limit counts from the top, as
 * jscan_value() of the whole document would.  A \u0000 escape also fails
 * (JSCAN_NO_NUL): the cJSON path then words the record's error. */
int jscan_skip_nested(const char **p, const char *end, int depth);

/* The first byte of s..end that ends a plain string's text: '"', '\\' or
 * a control character; end if none.  Eight bytes at a time: in each test
 * the lowest flagged byte is exact (a borrow only flags bytes above it). */
static inline const char *jscan_plain_text_end(const char *s, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    while (end - s >= 8) {
        uint64_t w, q, b;
        memcpy(&w, s, 8);
        q = w ^ (ones * '"');
        b = w ^ (ones * '\\');
        uint64_t hit = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w);
        hit &= high;
        if (hit != 0)
            return s + __builtin_ctzll(hit) / 8;
        s += 8;
    }
#endif
    while (s < end && *s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
        s++;
    return s;
}

/* A string without backslash escapes: its contents are returned in str and
 * len.  Inline: the fast path reads every key with it. */
static inline int jscan_plain_string(const char **p, const char *end, const char **str, size_t *len)
{
    const char *s = *p;
    if (s >= end || *s != '"')
        return -1;
    const char *q = jscan_plain_text_end(s + 1, end);
    if (q >= end || *q != '"')
        return -1;
    *str = s + 1;
    *len = (size_t)(q - s - 1);
    *p = q + 1;
    return 0;
}

/* An object member's plain-string key and its ':' ("key":, white space
 * around both): the key in key/klen, *p left at the value. */
static inline int jscan_member_key(const char **p, const char *end, const char **key, size_t *klen)
{
    const char *s = jscan_ws(*p, end);
    if (jscan_plain_string(&s, end, key, klen) != 0)
        return -1;
    s = jscan_ws(s, end);
    if (s >= end || *s != ':')
        return -1;
    *p = jscan_ws(s + 1, end);
    return 0;
}

/* A string with at most the two-character escapes (\" \\ \/ \b \f \n \r \t),
 * decoded into out (cap bytes, not terminated); its length goes to len.
 * \u escapes and strings longer than cap return an error. */
int jscan_unescape_string(const char **p, const char *end, char *out, size_t cap, size_t *len);

/* Reads a string (any escapes) and sets *equal to whether its decoded text,
 * read as a C string (up to a \u0000, as cJSON's valuestring is), equals
 * the ASCII text lit. */
int jscan_string_equals(const char **p, const char *end, const char *lit, int *equal);

/* A number read exactly: integers and decimals with up to 15 significant
 * digits and a small exponent (the result is then correctly rounded, as
 * strtod would give); anything else returns an error. */
int jscan_number(const char **p, const char *end, double *out);

/* 1 if s[0..n) is exactly one number in RFC 8259's grammar (no sign but
 * '-', no leading zeros, spaces, hex, inf or nan), else 0. */
int jscan_is_number(const char *s, size_t n);

/* An integer without fraction or exponent that fits in int64. */
int jscan_int64(const char **p, const char *end, int64_t *out);

/* The JSON type of a (valid) value from its first byte, in the words the
 * errors use (cJSON's types: "null", "boolean", "string", "array",
 * "object", "number"). */
const char *jscan_type_name(char first);

/* The literal null. */
int jscan_null(const char **p, const char *end);

#endif
