/* rowset: load and validate the iris CSV. */
#include "producer/rowset.h"

#include "producer/text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const rowset_columns[ROWSET_FEATURES + 1] = {
    "sepal_length", "sepal_width", "petal_length", "petal_width", "species",
};

#define MAX_FILE_BYTES (64u << 20)

/* True when s[0..len) is a number in JSON's grammar:
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int is_json_number(const char *s, size_t len, int *decimals)
{
    size_t i = 0;
    *decimals = 0;
    if (i < len && s[i] == '-')
        i++;
    if (i >= len)
        return 0;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return 0;
    }
    if (i < len && s[i] == '.') {
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return 0;
        *decimals = (int)(i - start);
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return 0;
    }
    return i == len;
}

/* Splits one line into at most max fields, trimming blanks and one pair of
 * surrounding double quotes.  Fields point into line, which is modified.
 * Returns the number of fields found (may exceed max: the rest is dropped). */
static size_t split_fields(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        size_t len = strlen(p);
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
            p[--len] = '\0';
        if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
            p[len - 1] = '\0';
            p++;
        }
        if (n < max)
            fields[n] = p;
        n++;
        if (!comma)
            return n;
        p = comma + 1;
    }
}

static int add_species(struct rowset *ds, const char *name, size_t *index)
{
    for (size_t i = 0; i < ds->n_species; i++) {
        if (strcmp(ds->species[i], name) == 0) {
            *index = i;
            return 0;
        }
    }
    char **grown = realloc(ds->species, (ds->n_species + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    ds->species = grown;
    if (!(ds->species[ds->n_species] = strdup(name)))
        return -1;
    *index = ds->n_species++;
    return 0;
}

/* The data file is text: "FILE:LINE:COLUMN: ..." for the first byte that is
 * not (a NUL, a control byte, invalid UTF-8). */
static int check_text(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    size_t at;
    const char *what;
    if (text_first_bad(text, len, &at, &what) == 0)
        return 0;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at; i++, col++)
        if (text[i] == '\n')
            line++, col = 0;
    snprintf(err, errlen, "%s:%zu:%zu: %s (0x%02X): the data file must be CSV text (UTF-8)", name,
             line, col, what, (unsigned char)text[at]);
    return -1;
}

static int check_header(char **fields, size_t n, const char *name, char *err, size_t errlen)
{
    int ok = n == ROWSET_FEATURES + 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = strcmp(fields[i], rowset_columns[i]) == 0;
    if (!ok)
        snprintf(err, errlen,
                 "%s:1: expected the header "
                 "sepal_length,sepal_width,petal_length,petal_width,species",
                 name);
    return ok ? 0 : -1;
}

/* Up to 40 bytes of s for an error message: printable ASCII as it is, other
 * bytes as \xNN (a file's bytes are printed to a terminal), "..." at a cut. */
static void excerpt(const char *s, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    for (; s[i] != '\0' && i < 40 && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02X", c);
    }
    out[o] = '\0';
    if (s[i] != '\0' && o + 4 <= cap)
        memcpy(out + o, "...", 4);
}

/* Parses one data line into row (allocating its texts). */
static int parse_row(struct rowset *ds, char **fields, size_t n, int lineno, const char *name,
                     struct rowset_row *row, char *err, size_t errlen)
{
    if (n != ROWSET_FEATURES + 1) {
        snprintf(err, errlen, "%s:%d: expected %d comma-separated fields, got %zu", name, lineno,
                 ROWSET_FEATURES + 1, n);
        return -1;
    }
    row->line = lineno;
    for (int f = 0; f < ROWSET_FEATURES; f++) {
        const char *t = fields[f];
        errno = 0;
        if (!is_json_number(t, strlen(t), &row->decimals[f]) ||
            !isfinite(row->value[f] = strtod(t, NULL)) || errno) {
            char shown[4 * 40 + 4];
            excerpt(t, shown, sizeof shown);
            snprintf(err, errlen, "%s:%d: %s: '%s' is not a number", name, lineno,
                     rowset_columns[f], shown);
            return -1;
        }
        if (!(row->text[f] = strdup(t))) {
            snprintf(err, errlen, "%s:%d: out of memory", name, lineno);
            return -1;
        }
    }
    if (!*fields[ROWSET_FEATURES]) {
        snprintf(err, errlen, "%s:%d: species is empty", name, lineno);
        return -1;
    }
    if (add_species(ds, fields[ROWSET_FEATURES], &row->species) != 0) {
        snprintf(err, errlen, "%s:%d: out of memory", name, lineno);
        return -1;
    }
    return 0;
}

struct rowset *rowset_parse(const char *text, size_t len, const char *name, char *err,
                            size_t errlen)
{
    struct rowset *ds = calloc(1, sizeof(*ds)), *result = NULL;
    char *copy = malloc(len + 1);
    size_t cap = 0;
    int lineno = 0, header_seen = 0;

    if (!ds || !copy) {
        snprintf(err, errlen, "%s: out of memory", name);
        goto cleanup;
    }
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) { /* a UTF-8 byte order mark */
        text += 3;
        len -= 3;
    }
    if (check_text(text, len, name, err, errlen) != 0)
        goto cleanup;
    memcpy(copy, text, len);
    copy[len] = '\0';

    char *save = NULL;
    for (char *line = copy; line; line = save) {
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        lineno++;
        if (strspn(line, " \t\r") == strlen(line))
            continue; /* blank line */
        char *fields[ROWSET_FEATURES + 1];
        size_t n = split_fields(line, fields, ROWSET_FEATURES + 1);
        if (!header_seen) {
            if (lineno != 1) {
                snprintf(err, errlen, "%s:1: the header line is blank", name);
                goto cleanup;
            }
            if (check_header(fields, n, name, err, errlen) != 0)
                goto cleanup;
            header_seen = 1;
            continue;
        }
        if (ds->n_rows == cap) {
            cap = cap ? cap * 2 : 256;
            struct rowset_row *grown = realloc(ds->rows, cap * sizeof(*grown));
            if (!grown) {
                snprintf(err, errlen, "%s:%d: out of memory", name, lineno);
                goto cleanup;
            }
            ds->rows = grown;
        }
        struct rowset_row *row = &ds->rows[ds->n_rows];
        memset(row, 0, sizeof(*row));
        ds->n_rows++;
        if (parse_row(ds, fields, n, lineno, name, row, err, errlen) != 0)
            goto cleanup;
    }
    if (!header_seen) {
        snprintf(err, errlen,
                 "%s:1: expected the header "
                 "sepal_length,sepal_width,petal_length,petal_width,species (the file is empty)",
                 name);
        goto cleanup;
    }
    if (ds->n_rows == 0) {
        snprintf(err, errlen, "%s: no data rows after the header", name);
        goto cleanup;
    }
    result = ds;
    ds = NULL;

cleanup:
    free(copy);
    rowset_free(ds);
    return result;
}

struct rowset *rowset_load(const char *path, char *err, size_t errlen)
{
    struct rowset *ds = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        goto cleanup;
    }
    size_t cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= MAX_FILE_BYTES) {
                snprintf(err, errlen, "%s: larger than %u MiB", path, MAX_FILE_BYTES >> 20);
                goto cleanup;
            }
            cap = cap ? cap * 2 : 16384;
            char *grown = realloc(buf, cap);
            if (!grown) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto cleanup;
            }
            buf = grown;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        goto cleanup;
    }
    ds = rowset_parse(buf ? buf : "", len, path, err, errlen);

cleanup:
    if (f)
        fclose(f);
    free(buf);
    return ds;
}

void rowset_free(struct rowset *ds)
{
    if (!ds)
        return;
    for (size_t i = 0; i < ds->n_rows; i++)
        for (int f = 0; f < ROWSET_FEATURES; f++)
            free(ds->rows[i].text[f]);
    for (size_t i = 0; i < ds->n_species; i++)
        free(ds->species[i]);
    free(ds->rows);
    free(ds->species);
    free(ds);
}
