/* fuzz_producer_props.c: libFuzzer target for the client properties file
 * reader (producer/props.c, the -F file: Confluent's client.properties).  The
 * input is the file.  For every input:
 *   - a refusal is "FILE:LINE: <one of the documented reasons>", or
 *     "FILE:LINE:COLUMN: a NUL byte / a control byte / a byte that is not
 *     UTF-8 (0xNN): ..." where LINE and COLUMN point at that very byte; the
 *     message never holds the line's text (it may be a secret);
 *   - an accepted file gives exactly the key=value pairs of a reference
 *     reading written here from the format's description (one per line, blank
 *     and '#'/'!' lines skipped, blanks around key and value trimmed, the
 *     first '=' splits), each with origin "FILE:LINE";
 *   - every secret property's whole value is reported by props_secret_parts.
 * Run: make fuzz-producer-props FUZZ_SECONDS=60 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "producer/props.h"
#include "tests/fuzz/fuzz_check.h"

static const char *path;

/* The i-th line (1-based) of data: *start and *len (without its '\n'). */
static int nth_line(const uint8_t *data, size_t size, size_t n, size_t *start, size_t *len)
{
    size_t s = 0;
    for (size_t k = 1; k < n; k++) {
        const uint8_t *nl = memchr(data + s, '\n', size - s);
        if (nl == NULL)
            return -1;
        s = (size_t)(nl - data) + 1;
    }
    if (s >= size)
        return -1;
    const uint8_t *nl = memchr(data + s, '\n', size - s);
    *start = s;
    *len = nl ? (size_t)(nl - data) - s : size - s;
    return 0;
}

static void check_refusal(const char *err, const uint8_t *data, size_t size)
{
    static const char *const reasons[] = {
        "expected key=value (no '=' found)",
        "empty property name before '='",
        "property name contains blanks",
        "line continuation with '\\' is not supported; put the value on one line",
    };
    static const char *const bytes[] = {"a NUL byte", "a control byte", "a byte that is not UTF-8"};
    static const char tail[] = "): this is not a text properties file (key=value lines)";
    size_t n = strlen(err), plen = strlen(path);
    fuzz_check_message("error", err, 4096);
    if (n <= plen + 1 || strncmp(err, path, plen) != 0 || err[plen] != ':')
        fuzz_fail("error", "FILE:LINE: ...", err, n);
    char *end;
    unsigned long line = strtoul(err + plen + 1, &end, 10), col = 0;
    size_t ls, ll;
    if (end == err + plen + 1 || *end != ':' || nth_line(data, size, line, &ls, &ll) != 0)
        fuzz_fail("error", "FILE:LINE: with a line of the file", err, n);
    if (end[1] == ' ') {
        for (size_t k = 0; k < sizeof reasons / sizeof reasons[0]; k++)
            if (strcmp(end + 2, reasons[k]) == 0)
                return;
        fuzz_fail("error", "one of the documented reasons", err, n);
    }
    col = strtoul(end + 1, &end, 10);
    if (col == 0 || col > ll || *end != ':' || end[1] != ' ')
        fuzz_fail("error", "FILE:LINE:COLUMN: within the line", err, n);
    const char *what = end + 2;
    for (size_t k = 0; k < 3; k++) {
        size_t wl = strlen(bytes[k]);
        unsigned got;
        if (strncmp(what, bytes[k], wl) != 0 || strncmp(what + wl, " (0x", 4) != 0)
            continue;
        if (sscanf(what + wl + 4, "%2X", &got) != 1 || got != data[ls + col - 1] ||
            strcmp(what + wl + 6, tail) != 0)
            fuzz_fail("error", "the byte at LINE:COLUMN, and the documented reason", err, n);
        return;
    }
    fuzz_fail("error", "one of the documented reasons", err, n);
}

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

/* s[0..n) without leading blanks and trailing blanks or CRs. */
static void strip(const char **s, size_t *n)
{
    while (*n > 0 && blank(**s))
        (*s)++, (*n)--;
    while (*n > 0 && (blank((*s)[*n - 1]) || (*s)[*n - 1] == '\r'))
        (*n)--;
}

typedef struct found {
    const char *value;
    int whole;
} found;

static void on_secret(const char *s, size_t len, void *ctx)
{
    found *f = ctx;
    if (len == strlen(f->value) && memcmp(s, f->value, len) == 0)
        f->whole = 1;
}

static void check_accepted(const struct props *p, const uint8_t *data, size_t size)
{
    size_t item = 0, ls, ll;
    char origin[96];
    for (size_t line = 1; nth_line(data, size, line, &ls, &ll) == 0; line++) {
        const char *s = (const char *)data + ls;
        strip(&s, &ll);
        if (ll == 0 || s[0] == '#' || s[0] == '!')
            continue;
        const char *eq = memchr(s, '=', ll);
        if (eq == NULL)
            fuzz_fail("accepted file", "a '=' on every property line", s, ll);
        const char *k = s, *v = eq + 1;
        size_t kl = (size_t)(eq - s), vl = ll - kl - 1;
        strip(&k, &kl);
        strip(&v, &vl);
        if (item >= p->n)
            fuzz_fail("properties", "one per property line", k, kl);
        const struct prop *it = &p->items[item++];
        snprintf(origin, sizeof origin, "%s:%zu", path, line);
        if (strlen(it->key) != kl || memcmp(it->key, k, kl) != 0)
            fuzz_fail("key", "the line's key, trimmed", it->key, strlen(it->key));
        if (strlen(it->value) != vl || memcmp(it->value, v, vl) != 0)
            fuzz_fail("value", "the line's value, trimmed", it->value, strlen(it->value));
        if (strcmp(it->origin, origin) != 0)
            fuzz_fail("origin", origin, it->origin, strlen(it->origin));
        if (props_is_secret(it->key) && it->value[0] != '\0') {
            found f = {it->value, 0};
            props_secret_parts(it->key, it->value, on_secret, &f);
            if (!f.whole)
                fuzz_fail("props_secret_parts", "a secret property's whole value", it->key,
                          strlen(it->key));
        }
    }
    if (item != p->n)
        fuzz_fail("properties", "no more than the property lines", NULL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    path = fuzz_memory_file(data, size);
    struct props p = {0};
    char err[4096] = "";
    int rc = props_load(&p, path, err, sizeof err);
    if (rc != 0 && rc != -1)
        fuzz_fail("result", "0 or -1", NULL, 0);
    if (rc == -1)
        check_refusal(err, data, size);
    else
        check_accepted(&p, data, size);
    props_free(&p);
    return 0;
}
