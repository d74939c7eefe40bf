/* console: redacted messages on stderr. */
#include "producer/console.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/secrets.h"

static enum console_level current_level = CONSOLE_NORMAL;
static struct secrets *secrets;

void console_set_level(enum console_level level)
{
    current_level = level;
}

enum console_level console_level(void)
{
    return current_level;
}

void console_add_secret(const char *secret)
{
    if (!secret || !*secret)
        return;
    if (!secrets)
        secrets = secrets_new();
    /* Never print anything rather than risk a secret. */
    if (!secrets || secrets_add(secrets, secret, strlen(secret)) != 0)
        abort();
}

void console_clear_secrets(void)
{
    secrets_free(secrets);
    secrets = NULL;
}

char *console_redact(const char *text)
{
    return secrets_redact(secrets, text);
}

static void emit(const char *fmt, va_list ap)
{
    char *raw = NULL;
    if (vasprintf(&raw, fmt, ap) < 0) {
        fputs("producer: (out of memory formatting a message)\n", stderr);
        return;
    }
    char *clean = console_redact(raw);
    if (clean)
        fprintf(stderr, "producer: %s\n", clean);
    free(clean);
    free(raw);
}

void console_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(fmt, ap);
    va_end(ap);
}

void console_info(const char *fmt, ...)
{
    if (current_level < CONSOLE_NORMAL)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(fmt, ap);
    va_end(ap);
}

void console_verbose(const char *fmt, ...)
{
    if (current_level < CONSOLE_VERBOSE)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(fmt, ap);
    va_end(ap);
}
