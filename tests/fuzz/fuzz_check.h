/* fuzz_check.h: the checks the fuzz targets share, written here independently
 * of the code under test.  A failed check prints what was expected and what
 * came out, then aborts (libFuzzer saves the input as a crash). */
#ifndef TESTS_FUZZ_CHECK_H
#define TESTS_FUZZ_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "contract broken: <what>: expected <expected>, got "<got>"" and aborts. */
static inline void fuzz_fail(const char *what, const char *expected, const char *got, size_t len)
{
    fprintf(stderr, "contract broken: %s: expected %s, got \"", what, expected);
    for (size_t i = 0; got != NULL && i < len; i++) {
        unsigned char c = (unsigned char)got[i];
        if (c >= 0x20 && c < 0x7F && c != '\\')
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02X", c);
    }
    fprintf(stderr, "\"\n");
    abort();
}

/* RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static inline int fuzz_valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
        if (len == 0 || i + len > n)
            return 0;
        unsigned cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

/* Every byte is printable ASCII (0x20..0x7E). */
static inline int fuzz_printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E)
            return 0;
    return 1;
}

/* Checks that err is a NUL-terminated, non-empty, printable ASCII message
 * shorter than cap. */
static inline void fuzz_check_message(const char *what, const char *err, size_t cap)
{
    size_t n = strnlen(err, cap);
    if (n == cap)
        fuzz_fail(what, "a NUL-terminated message", err, cap);
    if (n == 0)
        fuzz_fail(what, "a non-empty message", err, 0);
    if (!fuzz_printable(err, n))
        fuzz_fail(what, "printable ASCII", err, n);
}

/* A path that reads as data: a memory file (no disk), reopened by name
 * through /proc/self/fd, so the parser opens it as it would any file.  The
 * path is the same for every input of the process. */
static inline const char *fuzz_memory_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz-input", 0);
        if (fd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size)) {
        perror("memory file");
        abort();
    }
    return path;
}

/* A message for a user that may quote its input: not empty, UTF-8, no
 * control characters. */
static inline void fuzz_check_text_message(const char *what, const char *msg)
{
    size_t n = strlen(msg);
    if (n == 0 || !fuzz_valid_utf8((const unsigned char *)msg, n))
        fuzz_fail(what, "UTF-8 text", msg, n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7F)
            fuzz_fail(what, "no control characters", msg, n);
}

#endif
