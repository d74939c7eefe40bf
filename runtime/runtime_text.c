/* runtime_text.c: UTF-8 checks, printable excerpts, always-valid JSON strings. */
#include "runtime/runtime_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t runtime_text_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    unsigned cp = c & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

void runtime_text_printable(const char *s, size_t len, size_t cap, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return;
    size_t i;
    for (i = 0; i < len && i < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c <= 0x7E && c != '\\') {
            if (o + 1 >= outlen)
                break;
            out[o++] = (char)c;
        } else {
            if (o + 5 >= outlen)
                break;
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02X", c);
        }
    }
    if (i < len && o + 4 <= outlen) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

int runtime_text_json(buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    buf_putc(b, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)c);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            buf_printf(b, "\\u%04x", c);
            i++;
        } else {
            size_t k = runtime_text_utf8_seq(p + i, n - i);
            if (k == 0) {
                BUF_LIT(b, "\xEF\xBF\xBD"); /* U+FFFD */
                i++;
            } else {
                buf_append(b, p + i, k);
                i += k;
            }
        }
    }
    buf_putc(b, '"');
    return b->failed ? -1 : 0;
}

char *runtime_text_header_value(const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c >= 0x20 && c <= 0x7E ? (char)c : '?';
    }
    out[n] = '\0';
    return out;
}
