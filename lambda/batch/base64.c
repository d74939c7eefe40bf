/* base64.c: the base64 of the connector's BYTES format (RFC 4648: the
 * standard and the URL-safe alphabet, padding optional), for both paths. */
#include <stdlib.h>

#include "common/bigmem.h"
#include "lambda/batch/batch_internal.h"

static int base64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

int batch_base64_decode(const char *s, size_t len, char *out, size_t *outlen)
{
    while (len > 0 && s[len - 1] == '=')
        len--;
    if (len == 0 || len % 4 == 1)
        return -1;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = base64_value((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    *outlen = o;
    return 0;
}

char *batch_base64_decode_alloc(const char *s, size_t len, size_t *outlen)
{
    char *out = bigmem_malloc(len / 4 * 3 + 3);
    if (out != NULL && batch_base64_decode(s, len, out, outlen) != 0) {
        bigmem_free(out);
        out = NULL;
    }
    return out;
}
