/* fuzz_trainer_props.c: libFuzzer target for the properties file of the
 * trainer's Kafka source (kafka_source_load_props in trainer/kafka_source.c,
 * train --kafka-props FILE: a Confluent client.properties).  The input is the
 * file.
 * For every input:
 *   - a refusal is "FILE:LINE: ..." with LINE a line of the file;
 *   - every property name the reader quotes (in the error, in the warnings
 *     on stderr) is one of the file's keys, never a piece of a value (a
 *     secret's, from a line read in two pieces, say);
 *   - the error and the warnings are UTF-8 text without control characters
 *     but the warnings' line feeds.
 * Run: make fuzz-trainer-props FUZZ_SECONDS=60 */
#include "common/secrets.h"
#include "trainer/kafka_source.h"

#include <ctype.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_check.h"

/* 1 when name[0..n) is the key of a line of the file (blanks around it
 * trimmed), or with cut set, the start of one. */
static int is_a_key(const char *name, size_t n, int cut, const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *end = s + size;
    while (s < end) {
        const char *le = memchr(s, '\n', (size_t)(end - s));
        le = le ? le : end;
        const char *k = s, *eq = memchr(s, '=', (size_t)(le - s));
        if (eq != NULL) {
            while (k < eq && isspace((unsigned char)*k))
                k++;
            const char *ke = eq;
            while (ke > k && isspace((unsigned char)ke[-1]))
                ke--;
            size_t kn = (size_t)(ke - k);
            if ((cut ? kn >= n : kn == n) && memcmp(k, name, n) == 0)
                return 1;
        }
        s = le + 1;
    }
    return 0;
}

/* 1 when the quoted text p[0..n) reads back (its \xNN escapes decoded, a
 * "..." cut allowed) as one of the file's keys. */
static int names_a_key(const char *p, size_t n, const uint8_t *data, size_t size)
{
    char name[512];
    size_t k = 0;
    for (const char *c = p; c < p + n && k < sizeof name; k++) {
        unsigned v;
        if (c[0] == '\\' && c[1] == 'x' && sscanf(c + 2, "%2X", &v) == 1) {
            name[k] = (char)v;
            c += 4;
        } else {
            name[k] = *c++;
        }
    }
    int cut = k >= 3 && memcmp(name + k - 3, "...", 3) == 0;
    return is_a_key(name, cut ? k - 3 : k, cut, data, size) || is_a_key(name, k, 0, data, size);
}

/* Checks the property "NAME" that each line of out quotes first (after it
 * comes librdkafka's text): NAME is one of the file's keys, never a piece of
 * a value (a secret's, from a line read in two pieces, say).  A name may
 * hold the text that follows it, so every possible end is tried. */
static void check_quoted_names(const char *what, const char *out, const uint8_t *data, size_t size)
{
    const char *tail = strcmp(what, "error") == 0 ? "\": " : "\" (unknown to librdkafka)";
    for (const char *p = out; (p = strstr(p, "property \"")) != NULL;) {
        p += 10;
        const char *nl = strchr(p, '\n'), *q = p;
        int found = 0;
        while (!found && (q = strstr(q, tail)) != NULL && (nl == NULL || q < nl))
            found = names_a_key(p, (size_t)(q - p), data, size), q++;
        if (!found)
            fuzz_fail(what, "a key of the file quoted, nothing else", out, strlen(out));
        if ((p = nl) == NULL)
            break;
    }
}

static void check_text(const char *what, const char *out, size_t on)
{
    if (!fuzz_valid_utf8((const unsigned char *)out, on))
        fuzz_fail(what, "UTF-8 text", out, on);
    for (size_t i = 0; i < on; i++)
        if (((unsigned char)out[i] < 0x20 && out[i] != '\n') || out[i] == 0x7F)
            fuzz_fail(what, "no control characters", out, on);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int warnings = -1;
    if (warnings < 0 && (warnings = memfd_create("warnings", 0)) < 0)
        abort();
    const char *path = fuzz_memory_file(data, size);
    char err[1024] = "";
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* The reader's warnings go to stderr: catch them for this input. */
    fflush(stderr);
    int saved = dup(2);
    if (saved < 0 || ftruncate(warnings, 0) != 0 || dup2(warnings, 2) < 0)
        abort();
    lseek(warnings, 0, SEEK_SET);
    struct secrets *hidden = secrets_new();
    int rc = kafka_source_load_props(conf, path, hidden, NULL, err, sizeof err);
    secrets_free(hidden);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rd_kafka_conf_destroy(conf);

    static char out[1 << 16];
    ssize_t on = pread(warnings, out, sizeof out, 0);
    if (on < 0)
        abort();
    check_text("warnings", out, (size_t)on);
    out[on < (ssize_t)sizeof out ? on : (ssize_t)sizeof out - 1] = '\0';
    check_quoted_names("warnings", out, data, size);
    if (rc != 0) {
        size_t n = strlen(err), pl = strlen(path);
        check_text("error", err, n);
        check_quoted_names("error", err, data, size);
        char *end;
        unsigned long line = strtoul(err + pl + 1, &end, 10), lines = 1;
        for (size_t i = 0; i + 1 < size; i++)
            lines += data[i] == '\n';
        if (strncmp(err, path, pl) != 0 || err[pl] != ':' || *end != ':' || line == 0 ||
            line > lines)
            fuzz_fail("error", "FILE:LINE: with a line of the file", err, n);
    }
    return 0;
}
