/* runtime_text.h: text from and to peers: UTF-8 checks, printable excerpts
 * for log lines, and JSON strings that are always valid UTF-8 (the error
 * documents the runtime posts carry messages that may quote a peer's bytes).
 */
#ifndef RUNTIME_RUNTIME_TEXT_H
#define RUNTIME_RUNTIME_TEXT_H

#include <stddef.h>

#include "common/buf.h"

/* Copies up to cap bytes of s into out (size outlen) as printable ASCII for a
 * log line: other bytes and '\' become "\xNN"; "..." marks a cut.  Always
 * NUL-terminates. */
void runtime_text_printable(const char *s, size_t len, size_t cap, char *out, size_t outlen);

/* Appends s as a quoted JSON string; invalid UTF-8 becomes U+FFFD, control
 * characters are escaped.  Returns 0, or -1 when b failed. */
int runtime_text_json(buf *b, const char *s);

/* Copies s into a new string that is safe as an HTTP header value: at most
 * max bytes of printable ASCII (others become '?').  Caller frees; NULL when
 * out of memory. */
char *runtime_text_header_value(const char *s, size_t max);

#endif
