/* csv.c: the exact CSV reader (csv.h). */
#include "trainer/csv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 5, 6))) static long fail_at(csv_reader *r, size_t at, char *err,
                                                          size_t errlen, const char *fmt, ...)
{
    int n = snprintf(err, errlen, "%s:%zu:%zu: ", r->path, r->line, at - r->line_start + 1);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int csv_open(csv_reader *r, const char *path, const char **bytes, size_t *nbytes, char *err,
             size_t errlen)
{
    int rc = -1;
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", path);
    r->line = 1;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    for (;;) {
        if (r->len + 1 >= cap) {
            cap = cap ? cap * 2 : 65536;
            char *t = cap <= CSV_MAX_BYTES ? realloc(r->text, cap) : NULL;
            if (!t) {
                snprintf(err, errlen, "%s: larger than %u bytes or out of memory", path,
                         CSV_MAX_BYTES);
                goto cleanup;
            }
            r->text = t;
        }
        size_t got = fread(r->text + r->len, 1, cap - r->len - 1, f);
        r->len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        goto cleanup;
    }
    r->text[r->len] = '\0';
    *bytes = r->text;
    *nbytes = r->len;
    if (r->len >= 3 && memcmp(r->text, "\xef\xbb\xbf", 3) == 0)
        r->pos = r->line_start = 3; /* a UTF-8 byte-order mark */
    rc = 0;
cleanup:
    fclose(f);
    return rc;
}

void csv_close(csv_reader *r)
{
    free(r->text);
    r->text = NULL;
}

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

/* At the end of a record: consumes the line ending and moves to the next line. */
static void next_line(csv_reader *r)
{
    if (r->pos < r->len && r->text[r->pos] == '\r')
        r->pos++;
    if (r->pos < r->len && r->text[r->pos] == '\n')
        r->pos++;
    r->line++;
    r->line_start = r->pos;
}

/* The byte at p ends a field: ',', a line ending or the end of the text. */
static int field_end(const csv_reader *r, size_t p)
{
    return p >= r->len || r->text[p] == ',' || r->text[p] == '\n' ||
           (r->text[p] == '\r' && p + 1 < r->len && r->text[p + 1] == '\n');
}

/* A quoted field starting at the quote at r->pos; unescapes it in place. */
static long read_quoted(csv_reader *r, csv_field *f, char *err, size_t errlen)
{
    size_t open = r->pos, open_line = r->line, open_col = open - r->line_start + 1;
    char *out = r->text + r->pos;
    f->s = out;
    r->pos++;
    for (;;) {
        if (r->pos >= r->len) {
            r->pos = open;
            r->line = open_line;
            r->line_start = open - (open_col - 1);
            return fail_at(r, open, err, errlen, "quoted field never closed");
        }
        char c = r->text[r->pos];
        if (c == '\0')
            return fail_at(r, r->pos, err, errlen, "NUL byte inside a quoted field");
        if (c == '"') {
            if (r->pos + 1 < r->len && r->text[r->pos + 1] == '"') {
                *out++ = '"';
                r->pos += 2;
                continue;
            }
            r->pos++;
            break;
        }
        if (c == '\r' && !(r->pos + 1 < r->len && r->text[r->pos + 1] == '\n'))
            return fail_at(r, r->pos, err, errlen, "carriage return without a line feed");
        *out++ = c;
        r->pos++;
        if (c == '\n') {
            r->line++;
            r->line_start = r->pos;
        }
    }
    f->len = (size_t)(out - f->s);
    while (r->pos < r->len && blank(r->text[r->pos]))
        r->pos++;
    if (!field_end(r, r->pos))
        return fail_at(r, r->pos, err, errlen,
                       "text after the closing quote of a quoted field (double a quote inside "
                       "one: \"\")");
    *out = '\0';
    return 0;
}

static long read_plain(csv_reader *r, csv_field *f, char *err, size_t errlen)
{
    size_t start = r->pos;
    while (!field_end(r, r->pos)) {
        char c = r->text[r->pos];
        if (c == '\0')
            return fail_at(r, r->pos, err, errlen, "NUL byte in a field");
        if (c == '"')
            return fail_at(r, r->pos, err, errlen,
                           "quote inside an unquoted field (quote the whole field and double "
                           "the quotes inside it)");
        if (c == '\r')
            return fail_at(r, r->pos, err, errlen, "carriage return without a line feed");
        r->pos++;
    }
    size_t end = r->pos;
    while (end > start && blank(r->text[end - 1]))
        end--;
    f->s = r->text + start;
    f->len = end - start;
    return 0;
}

/* Skips lines holding only spaces and tabs; 1 when a record starts at r->pos. */
static int skip_blank_lines(csv_reader *r)
{
    while (r->pos < r->len) {
        size_t p = r->pos;
        while (p < r->len && blank(r->text[p]))
            p++;
        if (p < r->len && r->text[p] != '\n' &&
            !(r->text[p] == '\r' && p + 1 < r->len && r->text[p + 1] == '\n'))
            return 1;
        r->pos = p;
        next_line(r);
    }
    return 0;
}

long csv_next(csv_reader *r, csv_field *f, size_t max, char *err, size_t errlen)
{
    if (!skip_blank_lines(r))
        return 0;
    long n = 0;
    for (;;) {
        while (r->pos < r->len && blank(r->text[r->pos]))
            r->pos++;
        csv_field tmp, *cur = (size_t)n < max ? &f[n] : &tmp;
        cur->line = r->line;
        cur->col = r->pos - r->line_start + 1;
        long rc = r->pos < r->len && r->text[r->pos] == '"' ? read_quoted(r, cur, err, errlen)
                                                            : read_plain(r, cur, err, errlen);
        if (rc != 0)
            return -1;
        n++;
        char *end = (char *)cur->s + cur->len; /* consumed by now: may hold the NUL */
        if (r->pos < r->len && r->text[r->pos] == ',') {
            r->pos++;
            *end = '\0';
            continue;
        }
        next_line(r);
        *end = '\0';
        return n;
    }
}

int csv_decimal(const char *s, size_t len, double *out)
{
    size_t i = 0, int_digits = 0, frac_digits = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, int_digits++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, frac_digits++;
    }
    if (int_digits + frac_digits == 0)
        return -1;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp_digits = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, exp_digits++;
        if (exp_digits == 0)
            return -1;
    }
    if (i != len || len >= 512)
        return -1;
    char buf[512];
    memcpy(buf, s, len);
    buf[len] = '\0';
    double v = strtod(buf, NULL);
    if (!isfinite(v))
        return -2;
    *out = v;
    return 0;
}
