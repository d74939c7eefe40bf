/* csv.h: an exact CSV reader (RFC 4180) with file:line:column errors.
 *
 * Records end at LF or CRLF; fields are separated by ','.  A field may be
 * quoted ("a, b" and "say ""hi""", which may span lines); spaces and tabs
 * around a field are not part of it.  A UTF-8 byte-order mark at the start
 * of the file is skipped.  Lines holding only spaces are skipped.  Refused,
 * with the position: a NUL byte, a carriage return not followed by a line
 * feed, a quote inside an unquoted field, text after a closing quote, and a
 * quoted field still open at the end of the file. */
#ifndef IRIS_CSV_H
#define IRIS_CSV_H

#include <stddef.h>

/* The largest file the reader loads. */
#define CSV_MAX_BYTES (1u << 30)

typedef struct {
    char path[256]; /* as given, for errors */
    char *text;     /* the file, owned; fields are unescaped in place */
    size_t len, pos;
    size_t line, line_start; /* line number and offset of the line at pos */
} csv_reader;

typedef struct {
    const char *s; /* the value, NUL-terminated, inside the reader's text */
    size_t len;
    size_t line, col; /* where the field starts: 1-based line and byte column */
} csv_field;

/* Reads the file at path whole.  On success returns 0 and *bytes, *nbytes
 * are the file's bytes as read (valid until the first csv_next).  On failure
 * returns -1 with "PATH: what" in err.  Close with csv_close (also after a
 * failure). */
int csv_open(csv_reader *r, const char *path, const char **bytes, size_t *nbytes, char *err,
             size_t errlen);
void csv_close(csv_reader *r);

/* Reads the next record, storing its first max fields in f.  Returns the
 * number of fields in the record (which may exceed max), 0 at the end of the
 * file, or -1 with "PATH:LINE:COL: what" in err. */
long csv_next(csv_reader *r, csv_field *f, size_t max, char *err, size_t errlen);

/* Parses a field as a decimal number exactly: [+-]digits[.digits][(e|E)[+-]digits]
 * (digits on at least one side of the point), nothing else (no hex, inf,
 * nan or spaces).  Returns 0, -1 when it is not such a number, -2 when it
 * is beyond the range of a double. */
int csv_decimal(const char *s, size_t len, double *out);

#endif
