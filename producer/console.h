/* console: everything the producer prints to stderr goes through here, so
 * that secrets (sasl.password and friends) are masked in every message,
 * including librdkafka's own log lines. */
#ifndef PRODUCER_CONSOLE_H
#define PRODUCER_CONSOLE_H

#include <stddef.h>

enum console_level {
    CONSOLE_QUIET = -1, /* errors only */
    CONSOLE_NORMAL = 0, /* + progress and summary */
    CONSOLE_VERBOSE = 1,
    CONSOLE_DEBUG = 2,
};

/* Sets how much is printed (default CONSOLE_NORMAL). */
void console_set_level(enum console_level level);
enum console_level console_level(void);

/* Registers a secret: any later output containing it prints "***" in its
 * place.  The string is copied.  Empty strings are ignored. */
void console_add_secret(const char *secret);

/* Forgets all secrets (frees their copies). */
void console_clear_secrets(void);

/* A malloc'd copy of text with every registered secret replaced by "***"
 * (see common/secrets.h), or NULL when out of memory; the caller frees it. */
char *console_redact(const char *text);

/* "producer: <message>" on stderr, always printed. */
void console_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "producer: <message>" on stderr at CONSOLE_NORMAL and above. */
void console_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "producer: <message>" on stderr at CONSOLE_VERBOSE and above. */
void console_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
