/* fuzz_escapes.h: the escapes a peer may wrap a secret in (percent-encoding,
 * XML references, backslash escapes), decoded here independently of
 * aws/scrub.c, and the check that scrubbed text holds no piece of a secret. */
#ifndef TESTS_FUZZ_ESCAPES_H
#define TESTS_FUZZ_ESCAPES_H

#include <stdlib.h>
#include <string.h>

#include "aws/scrub.h"
#include "tests/fuzz/fuzz_check.h"

static inline int fuzz_hex(unsigned char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Digits of base at s[i..n) up to ';': the value (capped), *end past ';';
 * -1 when there are none or no ';'. */
static inline long fuzz_ref_number(const unsigned char *s, size_t i, size_t n, int base,
                                   size_t *end)
{
    long v = 0;
    size_t start = i;
    for (; i < n && s[i] != ';'; i++) {
        int d = base == 16 ? fuzz_hex(s[i]) : s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1;
        if (d < 0)
            return -1;
        v = v * base + d;
        if (v > 0x10FFFF)
            v = 0x110000;
    }
    if (i == start || i >= n)
        return -1;
    *end = i + 1;
    return v;
}

/* One escape at s[i]: the byte it stands for (below 256) and *end, or -1. */
static inline int fuzz_escape_at(const unsigned char *s, size_t i, size_t n, size_t *end)
{
    static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    static const char ent_chars[] = "&<>\"'";
    if (s[i] == '%' && i + 2 < n && fuzz_hex(s[i + 1]) >= 0 && fuzz_hex(s[i + 2]) >= 0) {
        *end = i + 3;
        return fuzz_hex(s[i + 1]) * 16 + fuzz_hex(s[i + 2]);
    }
    if (s[i] == '&') {
        for (size_t k = 0; k < 5; k++)
            if (n - i >= strlen(ents[k]) && memcmp(s + i, ents[k], strlen(ents[k])) == 0) {
                *end = i + strlen(ents[k]);
                return ent_chars[k];
            }
        if (i + 1 < n && s[i + 1] == '#') {
            int x = i + 2 < n && (s[i + 2] == 'x' || s[i + 2] == 'X');
            long v = fuzz_ref_number(s, i + 2 + (size_t)x, n, x ? 16 : 10, end);
            return v >= 0 && v < 256 ? (int)v : -1;
        }
    }
    if (s[i] == '\\' && i + 1 < n) {
        if (s[i + 1] == '/' || s[i + 1] == '\\' || s[i + 1] == '"') {
            *end = i + 2;
            return s[i + 1];
        }
        if (s[i + 1] == 'u' && i + 5 < n && fuzz_hex(s[i + 2]) >= 0 && fuzz_hex(s[i + 3]) >= 0 &&
            fuzz_hex(s[i + 4]) >= 0 && fuzz_hex(s[i + 5]) >= 0) {
            int v = fuzz_hex(s[i + 2]) << 12 | fuzz_hex(s[i + 3]) << 8 | fuzz_hex(s[i + 4]) << 4 |
                    fuzz_hex(s[i + 5]);
            *end = i + 6;
            return v < 256 ? v : -1;
        }
    }
    return -1;
}

/* Decodes one layer of s in place; returns the new length. */
static inline size_t fuzz_unescape(unsigned char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        size_t end;
        int c = fuzz_escape_at(s, i, n, &end);
        if (c >= 0) {
            s[w++] = (unsigned char)c;
            i = end;
        } else {
            s[w++] = s[i++];
        }
    }
    return w;
}

static inline void fuzz_check_no_piece(const char *what, const unsigned char *s, size_t n,
                                       const char *secret, const char *out)
{
    size_t sl = strlen(secret);
    size_t k = sl < SCRUB_MIN_PIECE ? sl : SCRUB_MIN_PIECE;
    for (size_t i = 0; k > 0 && i + k <= n; i++)
        if (memmem(secret, sl, s + i, k) != NULL)
            fuzz_fail(what, "no piece of a secret", out, strlen(out));
}

/* Fails unless out (on bytes, scrubbed) holds no run of SCRUB_MIN_PIECE
 * characters of a secret (nor a whole shorter one), as written or after one,
 * two or three layers of unescaping.  Each SCRUB_MARK counts as one byte
 * outside the secrets' alphabet. */
static inline void fuzz_check_scrubbed(const char *what, const char *out, size_t on,
                                       const char *const *secrets, size_t nsecrets)
{
    unsigned char *v = malloc(on + 1);
    if (v == NULL)
        abort();
    size_t vn = 0, ml = strlen(SCRUB_MARK);
    for (size_t i = 0; i < on;) {
        if (on - i >= ml && memcmp(out + i, SCRUB_MARK, ml) == 0) {
            v[vn++] = 0x01;
            i += ml;
        } else {
            v[vn++] = (unsigned char)out[i++];
        }
    }
    for (int layer = 0; layer < 4; layer++) {
        if (layer > 0)
            vn = fuzz_unescape(v, vn);
        for (size_t s = 0; s < nsecrets; s++)
            fuzz_check_no_piece(what, v, vn, secrets[s], out);
    }
    free(v);
}

/* Draws two secrets from the input: two length bytes (the first secret at
 * least min_first long, both under 48), then their characters in the
 * alphabet of AWS secret keys and session tokens (base64).  *data and *size
 * move past what was drawn.  Returns 0, or -1 when the input is too short. */
static inline int fuzz_draw_secrets(const uint8_t **data, size_t *size, size_t min_first,
                                    char s1[48], char s2[48])
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    if (*size < 2)
        return -1;
    const uint8_t *d = *data;
    size_t l1 = min_first + d[0] % (48 - min_first), l2 = d[1] % 48;
    if (l1 + l2 > *size - 2)
        return -1;
    d += 2;
    for (size_t i = 0; i < l1; i++)
        s1[i] = alphabet[d[i] % (sizeof alphabet - 1)];
    for (size_t i = 0; i < l2; i++)
        s2[i] = alphabet[d[l1 + i] % (sizeof alphabet - 1)];
    s1[l1] = s2[l2] = '\0';
    *data = d + l1 + l2;
    *size -= 2 + l1 + l2;
    return 0;
}

/* A field read from a peer's answer: NUL-terminated within its cap,
 * printable ASCII, and holding no piece of the two secrets. */
static inline void fuzz_check_peer_field(const char *name, const char *field, size_t cap,
                                         const char *const *secrets)
{
    size_t n = strnlen(field, cap);
    if (n == cap)
        fuzz_fail(name, "NUL-terminated within its field", field, cap);
    if (!fuzz_printable(field, n))
        fuzz_fail(name, "printable ASCII", field, n);
    fuzz_check_scrubbed(name, field, n, secrets, 2);
}

#endif
