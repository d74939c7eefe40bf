/* testfile.c: see testfile.h. */
#include "tests/lib/testfile.h"

#include <stdio.h>
#include <stdlib.h>

char *testfile_read(const char *path, size_t *len)
{
    char *text = NULL;
    size_t cap = 0, n = 0, got;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    do {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *grown = realloc(text, cap);
            if (grown == NULL) {
                free(text);
                text = NULL;
                goto cleanup;
            }
            text = grown;
        }
        got = fread(text + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    if (ferror(f)) {
        free(text);
        text = NULL;
        goto cleanup;
    }
    text[n] = '\0';
    if (len != NULL)
        *len = n;
cleanup:
    fclose(f);
    return text;
}

const char *const testfile_sample_events[] = {
    "events/batch-correct.json",
    "events/batch-drifted.json",
    "events/batch-escaped-strings.json",
    "events/batch-map-strings.json",
    "events/batch-base64.json",
    "events/batch-ksqldb-uppercase.json",
    "events/batch-mixed.json",
    "events/record-bare.json",
    "events/batch-keys.json",
};
const size_t testfile_nsample_events =
    sizeof testfile_sample_events / sizeof testfile_sample_events[0];
