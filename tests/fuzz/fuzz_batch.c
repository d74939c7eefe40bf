/* fuzz_batch.c: libFuzzer target for the batch parser.  For any input, the
 * fast path (batch_parse) and the cJSON reference path (batch_parse_cjson)
 * must agree on the status, the error message and every record; neither may
 * crash or leak (ASan).  Run: make fuzz-batch FUZZ_SECONDS=60 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/batch/batch.h"
#include "lambda/batch/batch_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_record(const batch_record *x, const batch_record *y)
{
    if ((x->error == NULL) != (y->error == NULL))
        return 0;
    if (x->error != NULL)
        return strcmp(x->error, y->error) == 0;
    return x->partition == y->partition && x->offset == y->offset &&
           x->timestamp_ms == y->timestamp_ms && strcmp(x->species, y->species) == 0 &&
           memcmp(x->features, y->features, sizeof x->features) == 0 &&
           ((x->key == NULL && y->key == NULL) ||
            (x->key != NULL && y->key != NULL && strcmp(x->key, y->key) == 0)) &&
           ((x->topic == NULL && y->topic == NULL) ||
            (x->topic != NULL && y->topic != NULL && strcmp(x->topic, y->topic) == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    batch a, b;
    char ea[512] = "", eb[512] = "";
    int ra = batch_parse(json, size, &a, ea, sizeof ea);
    int rb = batch_parse_cjson(json, size, &b, eb, sizeof eb);
    if (ra != rb || strcmp(ea, eb) != 0) {
        fprintf(stderr, "status %d \"%s\" vs reference %d \"%s\"\n", ra, ea, rb, eb);
        abort();
    }
    if (ra == BATCH_OK) {
        if (a.count != b.count || a.shape != b.shape) {
            fprintf(stderr, "count/shape %zu/%d vs %zu/%d\n", a.count, a.shape, b.count, b.shape);
            abort();
        }
        for (size_t i = 0; i < a.count; i++) {
            if (!same_record(&a.records[i], &b.records[i])) {
                fprintf(stderr, "record %zu differs: \"%s\" vs \"%s\"\n", i,
                        a.records[i].error ? a.records[i].error : "",
                        b.records[i].error ? b.records[i].error : "");
                abort();
            }
        }
    }
    batch_free(&a);
    batch_free(&b);
    return 0;
}
