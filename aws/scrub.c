/* scrub.c: peer text made safe for logs (secrets redacted through escapes). */
#include "aws/scrub.h"
#include "common/hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text as seen after some decoding passes: each character remembers the
 * span of original bytes it came from. */
typedef struct view {
    unsigned char *ch;
    size_t *from, *to; /* original span [from, to) */
    size_t n;
} view;

/* Reads up to ndigits hex (base 16) or decimal digits of v at *i; -1 if none. */
static long read_number(const view *v, size_t *i, int base, size_t ndigits)
{
    long value = 0;
    size_t start = *i;
    while (*i < v->n && *i - start < ndigits) {
        int d = base == 16                               ? hex_digit(v->ch[*i])
                : (v->ch[*i] >= '0' && v->ch[*i] <= '9') ? v->ch[*i] - '0'
                                                         : -1;
        if (d < 0)
            break;
        value = value * base + d;
        (*i)++;
    }
    return *i > start ? value : -1;
}

/* An XML reference at v->ch[r] == '&': &amp; &lt; &gt; &quot; &apos; &#N; &#xN;.
 * Returns the character (below 256) and sets *end past the ';', or -1. */
static int xml_ref(const view *v, size_t r, size_t *end)
{
    static const struct {
        const char *name;
        char c;
    } names[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    size_t i = r + 1;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        size_t nl = strlen(names[k].name);
        if (i + nl <= v->n && memcmp(v->ch + i, names[k].name, nl) == 0) {
            *end = i + nl;
            return names[k].c;
        }
    }
    if (i >= v->n || v->ch[i] != '#')
        return -1;
    i++;
    int base = 10;
    if (i < v->n && (v->ch[i] == 'x' || v->ch[i] == 'X')) {
        base = 16;
        i++;
    }
    long value = read_number(v, &i, base, 8);
    if (value < 0 || value > 255 || i >= v->n || v->ch[i] != ';')
        return -1;
    *end = i + 1;
    return (int)value;
}

/* A backslash escape at v->ch[r] == '\\': \uXXXX below 256, \/ \\ \". */
static int backslash_escape(const view *v, size_t r, size_t *end)
{
    if (r + 1 >= v->n)
        return -1;
    unsigned char c = v->ch[r + 1];
    if (c == '/' || c == '\\' || c == '"') {
        *end = r + 2;
        return c;
    }
    if (c != 'u')
        return -1;
    size_t i = r + 2;
    long value = read_number(v, &i, 16, 4);
    if (value < 0 || value > 255 || i != r + 6)
        return -1;
    *end = i;
    return (int)value;
}

/* One decoding pass over v, in place.  Returns how many escapes it decoded. */
static size_t decode_pass(view *v)
{
    size_t w = 0, decoded = 0;
    for (size_t r = 0; r < v->n;) {
        int c = -1;
        size_t end = r + 1;
        if (v->ch[r] == '%' && r + 2 < v->n && hex_digit(v->ch[r + 1]) >= 0 &&
            hex_digit(v->ch[r + 2]) >= 0) {
            c = hex_digit(v->ch[r + 1]) << 4 | hex_digit(v->ch[r + 2]);
            end = r + 3;
        } else if (v->ch[r] == '&') {
            c = xml_ref(v, r, &end);
        } else if (v->ch[r] == '\\') {
            c = backslash_escape(v, r, &end);
        }
        if (c < 0) {
            c = v->ch[r];
            end = r + 1;
        } else {
            decoded++;
        }
        v->ch[w] = (unsigned char)c;
        v->from[w] = v->from[r];
        v->to[w] = v->to[end - 1];
        w++;
        r = end;
    }
    v->n = w;
    return decoded;
}

/* Marks in red the original bytes of every run of v that shares at least
 * SCRUB_MIN_PIECE characters (or all of a shorter secret) with secret. */
static void mark_pieces(const view *v, const char *secret, unsigned char *red)
{
    size_t sl = strlen(secret);
    size_t k = sl < SCRUB_MIN_PIECE ? sl : SCRUB_MIN_PIECE;
    for (size_t i = 0; k > 0 && i + k <= v->n; i++) {
        if (memmem(secret, sl, v->ch + i, k) == NULL)
            continue;
        for (size_t t = i; t < i + k; t++)
            memset(red + v->from[t], 1, v->to[t] - v->from[t]);
    }
}

/* Printable ASCII of in, red runs replaced by the mark, bounded by cap. */
static void emit(char *out, size_t cap, const unsigned char *in, size_t len,
                 const unsigned char *red)
{
    size_t o = 0, ml = strlen(SCRUB_MARK);
    for (size_t i = 0; i < len && o + 1 < cap; i++) {
        if (red[i]) {
            if (i > 0 && red[i - 1])
                continue;
            if (o + ml + 1 > cap)
                break;
            memcpy(out + o, SCRUB_MARK, ml);
            o += ml;
            continue;
        }
        unsigned char c = in[i];
        out[o++] = c == '\t' || c == '\n' || c == '\r' ? ' '
                   : c >= 0x20 && c <= 0x7e            ? (char)c
                                                       : '?';
    }
    out[o] = '\0';
}

void scrub_peer_text(char *out, size_t cap, const char *in, size_t len, const char *const *secrets,
                     size_t nsecrets)
{
    static const char unavailable[] = "[unavailable]";
    if (cap == 0)
        return;
    if (in == NULL)
        len = 0;
    if (len > SCRUB_MAX_INPUT)
        len = SCRUB_MAX_INPUT;
    view v = {malloc(len + 1), malloc((len + 1) * sizeof(size_t)),
              malloc((len + 1) * sizeof(size_t)), len};
    unsigned char *red = calloc(len + 1, 1);
    if (v.ch == NULL || v.from == NULL || v.to == NULL || red == NULL) {
        snprintf(out, cap, "%s", unavailable);
        goto cleanup;
    }
    for (size_t i = 0; i < len; i++) {
        v.ch[i] = (unsigned char)in[i];
        v.from[i] = i;
        v.to[i] = i + 1;
    }
    /* The raw text, then up to three layers of escaping (e.g. %252B). */
    for (int pass = 0; pass < 4; pass++) {
        for (size_t s = 0; s < nsecrets; s++)
            if (secrets[s] != NULL && secrets[s][0] != '\0')
                mark_pieces(&v, secrets[s], red);
        if (pass == 3 || decode_pass(&v) == 0)
            break;
    }
    emit(out, cap, (const unsigned char *)in, len, red);
cleanup:
    free(red);
    free(v.to);
    free(v.from);
    free(v.ch);
}
