/* console: redacted messages on stderr. */
#include "producer/console.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SECRETS 512
#define MASK "***"

static enum console_level current_level = CONSOLE_NORMAL;
static char *secrets[MAX_SECRETS];
static size_t n_secrets;

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
    for (size_t i = 0; i < n_secrets; i++)
        if (strcmp(secrets[i], secret) == 0)
            return;
    if (n_secrets == MAX_SECRETS) {
        /* Never print anything rather than risk a secret. */
        fprintf(stderr, "producer: too many secret properties (max %d)\n", MAX_SECRETS);
        abort();
    }
    secrets[n_secrets] = strdup(secret);
    if (!secrets[n_secrets])
        abort();
    n_secrets++;
}

void console_clear_secrets(void)
{
    for (size_t i = 0; i < n_secrets; i++)
        free(secrets[i]);
    n_secrets = 0;
}

/* Returns the length of the longest registered secret starting at s, or 0. */
static size_t secret_at(const char *s)
{
    size_t best = 0;
    for (size_t i = 0; i < n_secrets; i++) {
        size_t len = strlen(secrets[i]);
        if (len > best && strncmp(s, secrets[i], len) == 0)
            best = len;
    }
    return best;
}

void console_redact(const char *text, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return;
    while (*text && o + 1 < outlen) {
        size_t len = secret_at(text);
        if (len) {
            for (const char *m = MASK; *m && o + 1 < outlen; m++)
                out[o++] = *m;
            text += len;
        } else {
            out[o++] = *text++;
        }
    }
    out[o] = '\0';
}

static void emit(const char *fmt, va_list ap)
{
    char *raw = NULL;
    if (vasprintf(&raw, fmt, ap) < 0) {
        fputs("producer: (out of memory formatting a message)\n", stderr);
        return;
    }
    /* A mask is at most 3 bytes per secret byte: size for the worst case so
     * a secret is never cut in half by truncation. */
    size_t outlen = strlen(raw) * 3 + 1;
    char *clean = malloc(outlen);
    if (clean) {
        console_redact(raw, clean, outlen);
        fprintf(stderr, "producer: %s\n", clean);
    }
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
