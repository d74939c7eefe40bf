/* buf.c: growable buffer and checked JSON writer. */
#include "common/buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bigmem.h"
#include "common/utf8.h"

void buf_init(buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = 0;
    b->replaced = 0;
}

void buf_free(buf *b)
{
    if (b == NULL)
        return;
    bigmem_release(b->data, b->cap);
    buf_init(b);
}

void buf_reset(buf *b)
{
    b->len = 0;
    b->failed = 0;
    b->replaced = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

/* Room for extra more bytes and the terminator: exactly that when exact,
 * else the next doubling of the storage (a megabyte or more is a region of
 * whole huge pages, which may hold more: common/bigmem.h). */
static int grow(buf *b, size_t extra, int exact)
{
    if (!b->failed && extra > SIZE_MAX / 2 - b->len - 1)
        b->failed = 1;
    if (b->failed)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = exact ? need : b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = bigmem_resize(b->data, b->cap, cap, &cap);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int buf_grow(buf *b, size_t extra)
{
    return grow(b, extra, 0);
}

int buf_reserve_exact(buf *b, size_t extra)
{
    return grow(b, extra, 1);
}

int buf_vprintf(buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || buf_reserve(b, (size_t)n) != 0) {
        b->failed = 1;
        return -1;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *buf_detach(buf *b, size_t *len)
{
    if (b->failed) {
        buf_free(b);
        return NULL;
    }
    if (b->data == NULL && buf_reserve(b, 0) != 0)
        return NULL;
    char *p = b->data;
    p[b->len] = '\0';
    if (b->cap >= BIGMEM_MIN) { /* the caller free()s it: a malloc'd copy */
        if ((p = malloc(b->len + 1)) != NULL)
            memcpy(p, b->data, b->len + 1);
        bigmem_release(b->data, b->cap);
    }
    if (len != NULL)
        *len = b->len;
    buf_init(b);
    return p;
}

int buf_json_str(buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    /* Worst case every byte becomes \u00XX. */
    if (len > SIZE_MAX / 8 || buf_reserve(b, len * 6 + 2) != 0)
        return -1;
    char *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        if (c >= 0x80) {
            /* Only C2-F4 can start a sequence: the rest (a hostile 6 MB run
             * of them, say) skip the full check. */
            size_t n = c >= 0xC2 && c <= 0xF4 ? utf8_seq_len((const unsigned char *)s + i, len - i) : 0;
            if (n == 0) { /* each byte of invalid UTF-8 becomes U+FFFD */
                o[0] = '\xef';
                o[1] = '\xbf';
                o[2] = '\xbd';
                o += 3;
                b->replaced++;
            } else {
                memcpy(o, s + i, n);
                o += n;
                i += n - 1;
            }
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return 0;
}

int buf_json_cstr(buf *b, const char *s)
{
    if (s == NULL)
        return buf_append(b, "null", 4);
    return buf_json_str(b, s, strlen(s));
}

static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324"
                                  "25262728293031323334353637383940414243444546474849"
                                  "50515253545556575859606162636465666768697071727374"
                                  "75767778798081828384858687888990919293949596979899";

/* The decimal digits of u written backwards so that they end at end;
 * returns where they start. */
static char *digits_back(char *end, uint64_t u)
{
    while (u >= 100) {
        unsigned r = (unsigned)(u % 100);
        u /= 100;
        end -= 2;
        memcpy(end, digit_pairs + 2 * r, 2);
    }
    if (u >= 10) {
        end -= 2;
        memcpy(end, digit_pairs + 2 * u, 2);
    } else {
        *--end = (char)('0' + u);
    }
    return end;
}

/* Writes n (>= 0) with d digits after the decimal point, trailing zeros of
 * the fraction dropped. */
static size_t format_fixed(char *o, uint64_t n, int d)
{
    char tmp[32], *end = tmp + sizeof tmp;
    char *s = digits_back(end, n);
    while (end - s <= d)
        *--s = '0'; /* at least one digit before the point */
    char *frac = end - d, *frac_end = end;
    while (frac_end > frac && frac_end[-1] == '0')
        frac_end--;
    size_t w = (size_t)(frac - s);
    memcpy(o, s, w);
    if (frac_end > frac) {
        o[w++] = '.';
        memcpy(o + w, frac, (size_t)(frac_end - frac));
        w += (size_t)(frac_end - frac);
    }
    return w;
}

/* nearbyint(v) for v >= 0 in the default rounding mode (to nearest, ties to
 * even), without a libm call: below 2^52, adding and subtracting 2^52
 * rounds v to an integer that way; from 2^52 on every double is one. */
static double round_to_integer(double v)
{
    return v < 0x1p52 ? (v + 0x1p52) - 0x1p52 : v;
}

size_t buf_format_double(char *o, double v)
{
    static const double pow10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    if (!isfinite(v)) {
        memcpy(o, "null", 4);
        return 4;
    }
    char *start = o;
    if (v < 0) {
        *o++ = '-';
        v = -v;
    }
    /* Fast exact path: the fewest decimals d (up to 9) such that n / 10^d,
     * computed in double arithmetic, is v.  IEEE division rounds correctly,
     * so the decimal string n/10^d reads back (strtod) as exactly v. */
    if (v < 1e9) {
        for (int d = 0; d <= 9; d++) {
            double n = round_to_integer(v * pow10[d]);
            if (n < 9e15 && n / pow10[d] == v)
                return (size_t)(o - start) + format_fixed(o, (uint64_t)n, d);
        }
    }
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(o, 30, "%.*g", prec, v);
        if (strtod(o, NULL) == v)
            break;
    }
    return (size_t)(o - start) + (size_t)n;
}

size_t buf_format_int(char *o, int64_t v)
{
    char tmp[24], *end = tmp + sizeof tmp;
    char *s = digits_back(end, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--s = '-';
    memcpy(o, s, (size_t)(end - s));
    return (size_t)(end - s);
}

int buf_json_double(buf *b, double v)
{
    if (buf_reserve(b, BUF_NUMBER_MAX) != 0)
        return -1;
    b->len += buf_format_double(b->data + b->len, v);
    b->data[b->len] = '\0';
    return 0;
}

int buf_json_int(buf *b, int64_t v)
{
    if (buf_reserve(b, BUF_NUMBER_MAX) != 0)
        return -1;
    b->len += buf_format_int(b->data + b->len, v);
    b->data[b->len] = '\0';
    return 0;
}
