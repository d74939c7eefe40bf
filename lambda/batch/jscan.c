/* jscan.c: strict JSON scanning without allocation. */
#include "lambda/batch/jscan.h"
#include "common/hex.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The state of one jscan_value() call. */
typedef struct scan {
    int flags;
    size_t values, max_values;
    const char *at;      /* where the first problem is */
    const char *deep_at; /* JSCAN_DEEP: the first bracket past the depth limit */
} scan;

static int fail_at(scan *sc, const char *at, int status)
{
    sc->at = at;
    return status;
}

/* The 16-bit code of the 4 hex digits at s, or -1. */
static long hex4(const char *s)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(s[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* At s, the 'u' of a \u escape with 4 valid hex digits: 0 for a code
 * point on its own, 1 for a surrogate pair (\uD8xx\uDCxx, 10 more bytes),
 * -1 for a lone surrogate. */
static int surrogate(const char *s, const char *end)
{
    long c = hex4(s + 1);
    if (c < 0xD800 || c > 0xDFFF)
        return 0;
    if (c >= 0xDC00 || end - s < 11 || s[5] != '\\' || s[6] != 'u')
        return -1;
    long lo = hex4(s + 7);
    return lo >= 0xDC00 && lo <= 0xDFFF ? 1 : -1;
}

static int skip_string(scan *sc, const char **p, const char *end)
{
    const char *s = *p;
    if (s >= end || *s != '"')
        return fail_at(sc, s, JSCAN_ERR_SYNTAX);
    for (s++; s < end; s++) {
        s = jscan_plain_text_end(s, end); /* the bytes that need no attention */
        if (s >= end)
            break;
        unsigned char c = (unsigned char)*s;
        if (c == '"') {
            *p = s + 1;
            return JSCAN_OK;
        }
        if (c < 0x20)
            return fail_at(sc, s, JSCAN_ERR_SYNTAX);
        if (c != '\\')
            continue;
        if (++s >= end)
            break;
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
            if (end - s < 5 || hex4(s + 1) < 0)
                return fail_at(sc, s - 1, JSCAN_ERR_SYNTAX);
            if ((sc->flags & JSCAN_NO_NUL) && hex4(s + 1) == 0)
                return fail_at(sc, s - 1, JSCAN_ERR_NUL);
            switch (surrogate(s, end)) {
            case 1:
                s += 10;
                break;
            case -1:
                if (sc->flags & JSCAN_NO_LONE_SURROGATES)
                    return fail_at(sc, s - 1, JSCAN_ERR_SURROGATE);
                /* fall through */
            default:
                s += 4;
            }
            break;
        default:
            return fail_at(sc, s - 1, JSCAN_ERR_SYNTAX);
        }
    }
    return fail_at(sc, end, JSCAN_ERR_SYNTAX);
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

int jscan_is_number(const char *s, size_t n)
{
    return n > 0 && number_end(s, s + n) == s + n;
}

static int literal(const char **p, const char *end, const char *word, size_t n)
{
    if ((size_t)(end - *p) < n || memcmp(*p, word, n) != 0)
        return JSCAN_ERR_SYNTAX;
    *p += n;
    return JSCAN_OK;
}

static int skip_value(scan *sc, const char **p, const char *end, int depth);

/* The members of an array or object after its opening bracket. */
static int skip_members(scan *sc, const char **p, const char *end, int depth, char close)
{
    const char *s = jscan_ws(*p, end);
    if (s < end && *s == close) {
        *p = s + 1;
        return JSCAN_OK;
    }
    for (;;) {
        int r;
        if (close == '}') {
            s = jscan_ws(s, end);
            if ((r = skip_string(sc, &s, end)) != JSCAN_OK)
                return r;
            s = jscan_ws(s, end);
            if (s >= end || *s != ':')
                return fail_at(sc, s, JSCAN_ERR_SYNTAX);
            s++;
        }
        if ((r = skip_value(sc, &s, end, depth + 1)) != JSCAN_OK)
            return r;
        s = jscan_ws(s, end);
        if (s < end && *s == ',') {
            s++;
            continue;
        }
        if (s >= end || *s != close)
            return fail_at(sc, s, JSCAN_ERR_SYNTAX);
        *p = s + 1;
        return JSCAN_OK;
    }
}

/* A string, literal or number at s (not an array or object). */
static int skip_scalar(scan *sc, const char **p, const char *end)
{
    const char *s = *p;
    switch (*s) {
    case '"':
        return skip_string(sc, p, end);
    case 't':
        return literal(p, end, "true", 4) == 0 ? JSCAN_OK : fail_at(sc, s, JSCAN_ERR_SYNTAX);
    case 'f':
        return literal(p, end, "false", 5) == 0 ? JSCAN_OK : fail_at(sc, s, JSCAN_ERR_SYNTAX);
    case 'n':
        return literal(p, end, "null", 4) == 0 ? JSCAN_OK : fail_at(sc, s, JSCAN_ERR_SYNTAX);
    default: {
        const char *e = number_end(s, end);
        if (e == NULL)
            return fail_at(sc, s, JSCAN_ERR_SYNTAX);
        *p = e;
        return JSCAN_OK;
    }
    }
}

/* An object member's name and colon at s; s is left at its value. */
static int skip_member_name(scan *sc, const char **s, const char *end)
{
    int r;
    *s = jscan_ws(*s, end);
    if ((r = skip_string(sc, s, end)) != JSCAN_OK)
        return r;
    *s = jscan_ws(*s, end);
    if (*s >= end || **s != ':')
        return fail_at(sc, *s, JSCAN_ERR_SYNTAX);
    *s = jscan_ws(*s + 1, end);
    return JSCAN_OK;
}

/* JSCAN_DEEP: the array or object at *p, past the depth limit, validated
 * without recursion.  The open containers are a stack of bits (1: an
 * object), one per level: 512 levels in the frame, more on the heap (an
 * eighth of a byte per level, so at most an eighth of the text). */
static int skip_deep(scan *sc, const char **p, const char *end)
{
    uint64_t frame[8], *stack = frame;
    size_t cap = 8 * 64, n = 0;
    const char *s = *p;
    int r = JSCAN_OK, after = 0; /* after: a value was just read */
    if (sc->deep_at == NULL)
        sc->deep_at = s;
    for (;;) {
        int top = n > 0 && (stack[(n - 1) / 64] >> ((n - 1) % 64) & 1);
        if (after) {
            if (n == 0)
                break;
            s = jscan_ws(s, end);
            if (s < end && *s == (top ? '}' : ']')) {
                n--;
                s++;
                continue;
            }
            if (s >= end || *s != ',') {
                r = fail_at(sc, s, JSCAN_ERR_SYNTAX);
                goto cleanup;
            }
            s = jscan_ws(s + 1, end);
            if (top && (r = skip_member_name(sc, &s, end)) != JSCAN_OK)
                goto cleanup;
            after = 0;
            continue;
        }
        s = jscan_ws(s, end);
        if (s >= end) {
            r = fail_at(sc, s, JSCAN_ERR_SYNTAX);
            goto cleanup;
        }
        if (s != *p && ++sc->values > sc->max_values) { /* the first was counted */
            r = fail_at(sc, s, JSCAN_ERR_VALUES);
            goto cleanup;
        }
        if (*s != '[' && *s != '{') {
            if ((r = skip_scalar(sc, &s, end)) != JSCAN_OK)
                goto cleanup;
            after = 1;
            continue;
        }
        if (n == cap) {
            uint64_t *more = malloc(cap / 64 * 2 * sizeof *more);
            if (more == NULL) { /* as if JSCAN_DEEP were not set */
                r = fail_at(sc, sc->deep_at, JSCAN_ERR_DEPTH);
                goto cleanup;
            }
            memcpy(more, stack, cap / 8);
            if (stack != frame)
                free(stack);
            stack = more;
            cap *= 2;
        }
        int object = *s == '{';
        if (object)
            stack[n / 64] |= (uint64_t)1 << (n % 64);
        else
            stack[n / 64] &= ~((uint64_t)1 << (n % 64));
        n++;
        s = jscan_ws(s + 1, end);
        if (s < end && *s == (object ? '}' : ']')) {
            n--;
            s++;
            after = 1;
        } else if (object && (r = skip_member_name(sc, &s, end)) != JSCAN_OK) {
            goto cleanup;
        }
    }
    *p = s;
cleanup:
    if (stack != frame)
        free(stack);
    return r;
}

static int skip_value(scan *sc, const char **p, const char *end, int depth)
{
    const char *s = jscan_ws(*p, end);
    if (s >= end)
        return fail_at(sc, s, JSCAN_ERR_SYNTAX);
    if (++sc->values > sc->max_values)
        return fail_at(sc, s, JSCAN_ERR_VALUES);
    *p = s;
    if (*s != '[' && *s != '{')
        return skip_scalar(sc, p, end);
    if (depth >= JSCAN_MAX_DEPTH)
        return (sc->flags & JSCAN_DEEP) ? skip_deep(sc, p, end) : fail_at(sc, s, JSCAN_ERR_DEPTH);
    *p = s + 1;
    return skip_members(sc, p, end, depth, *s == '[' ? ']' : '}');
}

int jscan_value_nested(const char **p, const char *end, int flags, size_t max_values, int depth,
                       jscan_info *info)
{
    scan sc = {flags, 0, max_values, NULL, NULL};
    int r = skip_value(&sc, p, end, depth);
    if (r == JSCAN_OK && sc.deep_at != NULL) {
        r = JSCAN_ERR_DEEP;
        sc.at = sc.deep_at;
    }
    if (info != NULL) {
        info->values = sc.values;
        info->at = sc.at;
    }
    return r;
}

int jscan_value(const char **p, const char *end, int flags, size_t max_values, jscan_info *info)
{
    return jscan_value_nested(p, end, flags, max_values, 0, info);
}

int jscan_skip(const char **p, const char *end)
{
    return jscan_value(p, end, JSCAN_NO_LONE_SURROGATES, SIZE_MAX, NULL);
}

int jscan_skip_nested(const char **p, const char *end, int depth)
{
    scan sc = {JSCAN_NO_LONE_SURROGATES | JSCAN_NO_NUL, 0, SIZE_MAX, NULL, NULL};
    return skip_value(&sc, p, end, depth);
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

static int is_digit(const char *s, const char *end)
{
    return s < end && *s >= '0' && *s <= '9';
}

/* Numbers are validated and converted in the same pass. */
int jscan_number(const char **p, const char *end, double *out)
{
    const char *s = *p;
    int neg = s < end && *s == '-';
    s += neg;
    if (!is_digit(s, end))
        return -1;
    uint64_t mant = 0;
    int digits = 0, scale = 0;
    if (*s == '0') {
        s++; /* no leading zeros: "0" alone */
    } else {
        for (; is_digit(s, end); s++) {
            mant = mant * 10 + (uint64_t)(*s - '0');
            if (++digits > 15)
                return -1;
        }
    }
    if (s < end && *s == '.') {
        if (!is_digit(++s, end))
            return -1;
        for (; is_digit(s, end); s++) {
            scale--;
            if (mant == 0 && *s == '0')
                continue;
            mant = mant * 10 + (uint64_t)(*s - '0');
            if (++digits > 15)
                return -1;
        }
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        int eneg = 0, ex = 0;
        s++;
        if (s < end && (*s == '+' || *s == '-'))
            eneg = *s++ == '-';
        if (!is_digit(s, end))
            return -1;
        for (; is_digit(s, end); s++) {
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
    *p = s;
    return 0;
}

int jscan_int64(const char **p, const char *end, int64_t *out)
{
    const char *s = *p;
    int neg = s < end && *s == '-';
    s += neg;
    if (!is_digit(s, end))
        return -1;
    uint64_t v = 0;
    if (*s == '0') {
        s++;
    } else {
        for (; is_digit(s, end); s++) {
            if (v > (uint64_t)INT64_MAX / 10)
                return -1;
            v = v * 10 + (uint64_t)(*s - '0');
        }
    }
    if (s < end && (*s == '.' || *s == 'e' || *s == 'E'))
        return -1; /* a fraction or an exponent */
    if (v > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    *p = s;
    return 0;
}

int jscan_string_equals(const char **p, const char *end, const char *lit, int *equal)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    scan sc = {JSCAN_GRAMMAR, 0, SIZE_MAX, NULL, NULL};
    const char *s = *p, *e = s;
    int r = skip_string(&sc, &e, end);
    if (r != JSCAN_OK)
        return r;
    size_t i = 0;
    *equal = 0;
    for (s++; s < e - 1; s++) {
        long c = (unsigned char)*s;
        if (c == '\\') {
            s++;
            if (*s == 'u') {
                c = hex4(s + 1);
                s += 4;
                if (c == 0) /* cJSON's valuestring ends here */
                    break;
                if (c >= 0x80)
                    c = -1; /* not ASCII: lit cannot match */
            } else {
                c = (unsigned char)to[strchr(from, *s) - from];
            }
        }
        if (lit[i] == '\0' || c != (unsigned char)lit[i]) {
            *p = e;
            return JSCAN_OK;
        }
        i++;
    }
    *equal = lit[i] == '\0';
    *p = e;
    return JSCAN_OK;
}

const char *jscan_type_name(char first)
{
    return first == 'n'                   ? "null"
           : first == 't' || first == 'f' ? "boolean"
           : first == '"'                 ? "string"
           : first == '['                 ? "array"
           : first == '{'                 ? "object"
                                          : "number";
}
