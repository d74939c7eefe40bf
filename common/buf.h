/* buf.h: the one growable byte buffer, used for HTTP bodies, form bodies and
 * JSON output, plus a small checked JSON writer on top of it.
 *
 * A buf starts zeroed (BUF_INIT or buf_init).  Appends never fail silently:
 * on allocation failure they return -1 and set b->failed, after which every
 * further append is a no-op returning -1, so a writer can append many pieces
 * and check b->failed once at the end.  data is always NUL-terminated when
 * len > 0 (the terminator is not counted in len).
 */
#ifndef IRIS_BUF_H
#define IRIS_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct buf {
    char *data;
    size_t len;
    size_t cap;
    int failed;
    size_t replaced; /* bytes of invalid UTF-8 buf_json_str() wrote as U+FFFD */
} buf;

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0, 0, 0                                                                           \
    }

/* Slow path of buf_reserve(): grows the storage. */
int buf_grow(buf *b, size_t extra);

void buf_init(buf *b);
/* Frees the storage and resets b to empty; accepts NULL. */
void buf_free(buf *b);
/* Empties b, keeping its storage for reuse. */
void buf_reset(buf *b);
/* Makes room for at least extra more bytes (plus the terminator). */
static inline int buf_reserve(buf *b, size_t extra)
{
    if (!b->failed && b->cap - b->len > extra)
        return 0;
    return buf_grow(b, extra);
}

/* Room for exactly extra more bytes (plus the terminator) when b must grow,
 * not the next power of two: for a size known in advance, such as a body's
 * Content-Length, whose rounding up would only be address space that other
 * blocks come to occupy. */
int buf_reserve_exact(buf *b, size_t extra);

static inline int buf_append(buf *b, const void *data, size_t len)
{
    if (buf_reserve(b, len) != 0)
        return -1;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

static inline int buf_puts(buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

static inline int buf_putc(buf *b, char c)
{
    return buf_append(b, &c, 1);
}

/* Appends a string literal (its length known at compile time). */
#define BUF_LIT(b, lit) buf_append((b), "" lit, sizeof(lit) - 1)
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hands the storage to the caller (free() it) and leaves b empty.  Returns
 * NULL if the buffer failed; *len (if not NULL) gets the length.  An empty
 * buffer yields a valid empty string. */
char *buf_detach(buf *b, size_t *len);

/* JSON writer: a quoted, escaped JSON string of len bytes.  Control
 * characters are escaped; each byte that is not part of valid UTF-8 is
 * replaced by U+FFFD, so the output is always valid UTF-8 JSON. */
int buf_json_str(buf *b, const char *s, size_t len);
int buf_json_cstr(buf *b, const char *s);
/* The shortest decimal that reads back as exactly v ("6.7", not
 * "6.7000000000000002"); non-finite values are written as null. */
int buf_json_double(buf *b, double v);
int buf_json_int(buf *b, int64_t v);

/* The same numbers written straight into dst, which has room for
 * BUF_NUMBER_MAX bytes (no terminator); they return the length. */
#define BUF_NUMBER_MAX 32
size_t buf_format_double(char *dst, double v);
size_t buf_format_int(char *dst, int64_t v);

#endif
