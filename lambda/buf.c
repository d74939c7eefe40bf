/* buf.c: growable buffer and checked JSON writer. */
#include "lambda/buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = 0;
}

void buf_free(buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    buf_init(b);
}

void buf_reset(buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

int buf_reserve(buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (extra > SIZE_MAX / 2 - b->len - 1) {
        b->failed = 1;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int buf_append(buf *b, const void *data, size_t len)
{
    if (buf_reserve(b, len) != 0)
        return -1;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_putc(buf *b, char c)
{
    if (b->len + 1 < b->cap && !b->failed) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return 0;
    }
    return buf_append(b, &c, 1);
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
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
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

int buf_json_double(buf *b, double v)
{
    if (!isfinite(v))
        return buf_append(b, "null", 4);
    if (buf_reserve(b, 32) != 0)
        return -1;
    char *o = b->data + b->len;
    /* Integers that fit are printed as such; otherwise the shortest of
     * %.15g/%.16g/%.17g that reads back exactly. */
    if (v == floor(v) && fabs(v) < 1e15) {
        b->len += (size_t)snprintf(o, 32, "%.0f", v);
        return 0;
    }
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(o, 32, "%.*g", prec, v);
        if (strtod(o, NULL) == v)
            break;
    }
    b->len += (size_t)n;
    return 0;
}

int buf_json_int(buf *b, int64_t v)
{
    return buf_printf(b, "%lld", (long long)v);
}
