/* jscan.c: strict JSON scanning without allocation. */
#include "lambda/batch/jscan.h"

#include <string.h>

static int skip_string(const char **p, const char *end)
{
    const char *s = *p;
    if (s >= end || *s != '"')
        return -1;
    for (s++; s < end; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"') {
            *p = s + 1;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            if (++s >= end)
                return -1;
            switch (*s) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                break;
            case 'u':
                if (end - s < 5)
                    return -1;
                for (int i = 1; i <= 4; i++) {
                    char h = s[i];
                    if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') ||
                          (h >= 'A' && h <= 'F')))
                        return -1;
                }
                s += 4;
                break;
            default:
                return -1;
            }
        }
    }
    return -1;
}

/* Validates the RFC 8259 number grammar; returns the end or NULL. */
static const char *number_end(const char *s, const char *end)
{
    if (s < end && *s == '-')
        s++;
    if (s >= end)
        return NULL;
    if (*s == '0') {
        s++;
    } else if (*s >= '1' && *s <= '9') {
        while (s < end && *s >= '0' && *s <= '9')
            s++;
    } else {
        return NULL;
    }
    if (s < end && *s == '.') {
        s++;
        if (s >= end || *s < '0' || *s > '9')
            return NULL;
        while (s < end && *s >= '0' && *s <= '9')
            s++;
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        s++;
        if (s < end && (*s == '+' || *s == '-'))
            s++;
        if (s >= end || *s < '0' || *s > '9')
            return NULL;
        while (s < end && *s >= '0' && *s <= '9')
            s++;
    }
    return s;
}

static int literal(const char **p, const char *end, const char *word, size_t n)
{
    if ((size_t)(end - *p) < n || memcmp(*p, word, n) != 0)
        return -1;
    *p += n;
    return 0;
}

static int skip_depth(const char **p, const char *end, int depth)
{
    const char *s = jscan_ws(*p, end);
    if (s >= end || depth > JSCAN_MAX_DEPTH)
        return -1;
    switch (*s) {
    case '"':
        *p = s;
        return skip_string(p, end);
    case 't':
        *p = s;
        return literal(p, end, "true", 4);
    case 'f':
        *p = s;
        return literal(p, end, "false", 5);
    case 'n':
        *p = s;
        return literal(p, end, "null", 4);
    case '[':
    case '{': {
        char close = *s == '[' ? ']' : '}';
        int object = *s == '{';
        s = jscan_ws(s + 1, end);
        if (s < end && *s == close) {
            *p = s + 1;
            return 0;
        }
        for (;;) {
            if (object) {
                s = jscan_ws(s, end);
                if (skip_string(&s, end) != 0)
                    return -1;
                s = jscan_ws(s, end);
                if (s >= end || *s != ':')
                    return -1;
                s++;
            }
            if (skip_depth(&s, end, depth + 1) != 0)
                return -1;
            s = jscan_ws(s, end);
            if (s >= end)
                return -1;
            if (*s == ',') {
                s++;
                continue;
            }
            if (*s != close)
                return -1;
            *p = s + 1;
            return 0;
        }
    }
    default: {
        const char *e = number_end(s, end);
        if (e == NULL)
            return -1;
        *p = e;
        return 0;
    }
    }
}

int jscan_skip(const char **p, const char *end)
{
    return skip_depth(p, end, 0);
}

int jscan_plain_string(const char **p, const char *end, const char **str, size_t *len)
{
    const char *s = *p;
    if (s >= end || *s != '"')
        return -1;
    const char *start = ++s;
    const char *q = memchr(s, '"', (size_t)(end - s));
    if (q == NULL)
        return -1;
    for (const char *c = start; c < q; c++)
        if ((unsigned char)*c < 0x20 || *c == '\\')
            return -1;
    *str = start;
    *len = (size_t)(q - start);
    *p = q + 1;
    return 0;
}

int jscan_unescape_string(const char **p, const char *end, char *out, size_t cap, size_t *len)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *s = *p;
    size_t n = 0;
    if (s >= end || *s != '"')
        return -1;
    for (s++;; s++) {
        if (s >= end || n >= cap)
            return -1;
        char c = *s;
        if (c == '"')
            break;
        if ((unsigned char)c < 0x20)
            return -1;
        if (c == '\\') {
            const char *e = ++s < end && *s != '\0' ? strchr(from, *s) : NULL;
            if (e == NULL)
                return -1; /* \\u, or not an escape */
            c = to[e - from];
        }
        out[n++] = c;
    }
    *p = s + 1;
    *len = n;
    return 0;
}

int jscan_null(const char **p, const char *end)
{
    return literal(p, end, "null", 4);
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

int jscan_number(const char **p, const char *end, double *out)
{
    const char *s = *p;
    const char *e = number_end(s, end);
    if (e == NULL)
        return -1;
    int neg = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    uint64_t mant = 0;
    int digits = 0, scale = 0;
    for (; s < e && *s >= '0' && *s <= '9'; s++) {
        if (mant == 0 && *s == '0')
            continue;
        mant = mant * 10 + (uint64_t)(*s - '0');
        if (++digits > 15)
            return -1;
    }
    if (s < e && *s == '.') {
        for (s++; s < e && *s >= '0' && *s <= '9'; s++) {
            scale--;
            if (mant == 0 && *s == '0')
                continue;
            mant = mant * 10 + (uint64_t)(*s - '0');
            if (++digits > 15)
                return -1;
        }
    }
    if (s < e) { /* exponent */
        s++;
        int eneg = 0, ex = 0;
        if (*s == '+' || *s == '-')
            eneg = *s++ == '-';
        for (; s < e; s++) {
            ex = ex * 10 + (*s - '0');
            if (ex > 400)
                return -1;
        }
        scale += eneg ? -ex : ex;
    }
    /* mant < 10^15 < 2^53 is exact; one multiply or divide by an exact
     * power of ten rounds correctly (Clinger's fast path). */
    double v = (double)mant;
    if (mant != 0) {
        if (scale < -22 || scale > 22)
            return -1;
        v = scale < 0 ? v / pow10_exact[-scale] : v * pow10_exact[scale];
    }
    *out = neg ? -v : v;
    *p = e;
    return 0;
}

int jscan_int64(const char **p, const char *end, int64_t *out)
{
    const char *s = *p;
    const char *e = number_end(s, end);
    if (e == NULL)
        return -1;
    int neg = *s == '-';
    if (neg)
        s++;
    uint64_t v = 0;
    for (; s < e; s++) {
        if (*s < '0' || *s > '9' || v > (uint64_t)INT64_MAX / 10)
            return -1; /* fraction, exponent or overflow */
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    *p = e;
    return 0;
}
