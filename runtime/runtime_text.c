/* runtime_text.c: UTF-8 checks, printable excerpts, always-valid JSON strings. */
#include "runtime/runtime_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

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
            size_t k = utf8_seq_len(p + i, n - i);
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
