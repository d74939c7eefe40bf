/* fuzz_trainer_csv.c: libFuzzer target for the trainer's exact CSV reader
 * (trainer/csv.c, RFC 4180 with file:line:column errors) and its number
 * reader.  The input is the file.  For every input:
 *   - a refusal is "PATH:LINE:COL: what", printable ASCII, LINE:COL a
 *     position of the file;
 *   - every field is NUL-free (len == strlen), and starts where the file has
 *     it: a plain field is the file's bytes at LINE:COL, a quoted one the
 *     file's quoted text there with "" read as ", both checked against the
 *     input bytes here;
 *   - a file read whole round-trips: its records written back with every
 *     field quoted read back as the same records;
 *   - csv_decimal accepts exactly [+-]digits[.digits][(e|E)[+-]digits] (digits
 *     on one side of the point at least), checked here independently, with
 *     strtod's value, and -2 only when that value is not finite.
 * Run: make fuzz-trainer-csv FUZZ_SECONDS=60 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/csv.h"
#include "tests/fuzz/fuzz_check.h"

#define MAX_FIELDS 8
#define MAX_RECORDS 512

typedef struct table {
    size_t n;
    long count[MAX_RECORDS];
    char *field[MAX_RECORDS][MAX_FIELDS];
} table;

/* Where each line of the input starts (after a UTF-8 byte-order mark). */
static size_t *starts, nstarts;

static void index_lines(const uint8_t *data, size_t size)
{
    free(starts);
    starts = malloc((size + 2) * sizeof *starts);
    if (starts == NULL)
        abort();
    nstarts = 0;
    starts[nstarts++] = size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    for (size_t i = 0; i < size; i++)
        if (data[i] == '\n')
            starts[nstarts++] = i + 1;
}

/* Offset of the start of line (1-based) in the input, or (size_t)-1. */
static size_t line_offset(size_t line)
{
    return line >= 1 && line <= nstarts ? starts[line - 1] : (size_t)-1;
}

static void check_error(const char *err, const char *path, size_t size)
{
    size_t n = strlen(err), pl = strlen(path);
    fuzz_check_message("error", err, 1024);
    unsigned long line = 0, col = 0;
    int used = 0;
    if (strncmp(err, path, pl) != 0 || sscanf(err + pl, ":%lu:%lu: %n", &line, &col, &used) != 2 ||
        used == 0 || line == 0 || col == 0)
        fuzz_fail("error", "PATH:LINE:COL: what", err, n);
    size_t off = line_offset(line);
    if (off == (size_t)-1 || off + col - 1 > size)
        fuzz_fail("error", "a LINE:COL of the file", err, n);
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void check_decimal(const char *s, size_t len)
{
    size_t i = 0, a = 0, b = 0, e = 1;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < len && is_digit(s[i]); i++)
        a++;
    if (i < len && s[i] == '.')
        for (i++; i < len && is_digit(s[i]); i++)
            b++;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        e = 0, i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        for (; i < len && is_digit(s[i]); i++)
            e++;
    }
    int grammar = a + b > 0 && e > 0 && i == len && len < 512;
    double v = 0, want = grammar ? strtod(s, NULL) : 0;
    int rc = csv_decimal(s, len, &v);
    if (!grammar && rc != -1)
        fuzz_fail("csv_decimal", "-1 outside the grammar", s, len);
    if (grammar && isfinite(want) && (rc != 0 || v != want))
        fuzz_fail("csv_decimal", "0 with strtod's value", s, len);
    if (grammar && !isfinite(want) && rc != -2)
        fuzz_fail("csv_decimal", "-2 beyond a double's range", s, len);
}

/* The field f agrees with the file's bytes at its line and column. */
static void check_position(const csv_field *f, const uint8_t *data, size_t size)
{
    size_t off = line_offset(f->line);
    if (off == (size_t)-1 || off + f->col - 1 > size)
        fuzz_fail("field position", "a LINE:COL of the file", f->s, f->len);
    const uint8_t *p = data + off + f->col - 1, *end = data + size;
    if (p < end && *p == '"') {
        size_t k = 0;
        for (p++; p < end; p++, k++) {
            if (*p == '"' && (p + 1 >= end || p[1] != '"'))
                break;
            if (*p == '"')
                p++;
            if (k >= f->len || (uint8_t)f->s[k] != *p)
                fuzz_fail("quoted field", "the file's quoted text, \"\" read as \"", f->s, f->len);
        }
        if (k != f->len)
            fuzz_fail("quoted field", "the file's quoted text, whole", f->s, f->len);
    } else if ((size_t)(end - p) < f->len || memcmp(p, f->s, f->len) != 0) {
        fuzz_fail("plain field", "the file's bytes at LINE:COL", f->s, f->len);
    }
}

/* Reads the file at path into t; 0, 1 when it has more records than t
 * holds, -1 when refused (err set). */
static int read_all(const char *path, table *t, const uint8_t *data, size_t size, char *err,
                    size_t errlen)
{
    csv_reader r;
    const char *bytes;
    size_t nbytes;
    int rc = 0;
    t->n = 0;
    if (csv_open(&r, path, &bytes, &nbytes, err, errlen) != 0)
        fuzz_fail("csv_open", "the file read", err, strlen(err));
    for (;;) {
        csv_field f[MAX_FIELDS];
        long n = csv_next(&r, f, MAX_FIELDS, err, errlen);
        if (n <= 0) {
            rc = n < 0 ? -1 : 0;
            break;
        }
        if (t->n == MAX_RECORDS) {
            rc = 1;
            break;
        }
        t->count[t->n] = n;
        for (long i = 0; i < n && i < MAX_FIELDS; i++) {
            if (strlen(f[i].s) != f[i].len || f[i].line == 0 || f[i].col == 0)
                fuzz_fail("field", "NUL-free, at a 1-based line and column", f[i].s, f[i].len);
            if (data != NULL)
                check_position(&f[i], data, size);
            check_decimal(f[i].s, f[i].len);
            t->field[t->n][i] = strdup(f[i].s);
        }
        t->n++;
    }
    csv_close(&r);
    return rc;
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->n; i++)
        for (long k = 0; k < t->count[i] && k < MAX_FIELDS; k++)
            free(t->field[i][k]);
    t->n = 0;
}

/* Every record written back with its fields quoted. */
static char *quoted(const table *t, size_t *len)
{
    size_t cap = 16;
    for (size_t i = 0; i < t->n; i++)
        for (long k = 0; k < t->count[i]; k++)
            cap += 2 * (k < MAX_FIELDS ? strlen(t->field[i][k]) : 0) + 4;
    char *out = malloc(cap + 1), *o = out;
    if (out == NULL)
        abort();
    for (size_t i = 0; i < t->n; i++) {
        for (long k = 0; k < t->count[i] && k < MAX_FIELDS; k++) {
            *o++ = k ? ',' : '"';
            if (k)
                *o++ = '"';
            for (const char *c = t->field[i][k]; *c; c++) {
                if (*c == '"')
                    *o++ = '"';
                *o++ = *c;
            }
            *o++ = '"';
        }
        *o++ = '\n';
    }
    *len = (size_t)(o - out);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static table a, b;
    char err[1024];
    const char *path = fuzz_memory_file(data, size);
    index_lines(data, size);
    int rc = read_all(path, &a, data, size, err, sizeof err);
    if (rc < 0)
        check_error(err, path, size);
    for (size_t i = 0; rc == 0 && i < a.n; i++)
        if (a.count[i] > MAX_FIELDS)
            rc = 1; /* fields beyond MAX_FIELDS were not kept: no round trip */
    if (rc == 0) {
        size_t len;
        char *text = quoted(&a, &len);
        path = fuzz_memory_file((const uint8_t *)text, len);
        if (read_all(path, &b, NULL, 0, err, sizeof err) != 0)
            fuzz_fail("quoted records", "read back", err, strlen(err));
        if (b.n != a.n)
            fuzz_fail("quoted records", "as many records read back", text, len);
        for (size_t i = 0; i < a.n; i++) {
            if (a.count[i] != b.count[i])
                fuzz_fail("quoted record", "as many fields read back", text, len);
            for (long k = 0; k < a.count[i]; k++)
                if (strcmp(a.field[i][k], b.field[i][k]) != 0)
                    fuzz_fail("quoted field", a.field[i][k], b.field[i][k], strlen(b.field[i][k]));
        }
        free(text);
        table_free(&b);
    }
    table_free(&a);
    return 0;
}
