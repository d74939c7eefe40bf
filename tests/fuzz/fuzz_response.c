/* fuzz_response.c: libFuzzer target for the handler's documents.  Whatever
 * the event holds (topics, keys, error text, numbers), an event that parses
 * must give a response that is valid JSON with exactly one element per
 * record, each element exactly {"payload":{...}} holding the record's error
 * or its prediction (the connector keeps only the element), streamed in
 * pieces byte for byte equal to the whole, and a summary that is valid JSON.  Run: make
 * fuzz-response FUZZ_SECONDS=60 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/batch/batch.h"
#include "lambda/evaluate.h"
#include "lambda/response.h"

/* Element i is {"payload":{...}} with the record's error, or its prediction,
 * inside the payload. */
static void check_elements(const buf *b, const batch *bt)
{
    cJSON *doc = cJSON_ParseWithLength(b->data, b->len);
    size_t i = 0;
    for (cJSON *el = doc->child; el != NULL; el = el->next, i++) {
        const batch_record *rec = &bt->records[i];
        cJSON *p = cJSON_GetObjectItemCaseSensitive(el, "payload");
        cJSON *err = cJSON_GetObjectItemCaseSensitive(p, "error");
        int ok = cJSON_GetArraySize(el) == 1 && cJSON_IsObject(p) &&
                 (rec->error != NULL
                      ? cJSON_IsString(err) && strcmp(err->valuestring, rec->error) == 0
                      : err == NULL && cJSON_GetObjectItemCaseSensitive(p, "predictedSpecies"));
        if (!ok) {
            fprintf(stderr, "element %zu is not {\"payload\":{...}} with its outcome inside\n", i);
            abort();
        }
    }
    cJSON_Delete(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static model *m;

static void check_json(const buf *b, int want_elements)
{
    cJSON *doc = cJSON_ParseWithLength(b->data, b->len);
    if (doc == NULL) {
        fprintf(stderr, "not valid JSON: %.300s\n", b->data);
        abort();
    }
    if (want_elements >= 0 && cJSON_GetArraySize(doc) != want_elements) {
        fprintf(stderr, "%d elements, want %d\n", cJSON_GetArraySize(doc), want_elements);
        abort();
    }
    cJSON_Delete(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (m == NULL) {
        char err[512];
        m = model_load("model/iris-model.json", err, sizeof err);
        if (m == NULL) {
            fprintf(stderr, "%s\n", err);
            abort();
        }
    }
    batch b;
    char err[512];
    if (batch_parse((const char *)data, size, &b, err, sizeof err) != BATCH_OK)
        return 0;
    evaluate_score(m, &b);
    buf whole = BUF_INIT;
    if (response_write(&whole, &b, m) != 0)
        abort();
    check_json(&whole, (int)b.count);
    check_elements(&whole, &b);

    response_stream s;
    if (response_stream_init(&s, &b, m) != 0 || response_stream_size(&s) != (long long)whole.len)
        abort();
    buf got = BUF_INIT;
    char piece[97];
    size_t n;
    while ((n = response_stream_fill(&s, piece, sizeof piece)) > 0)
        buf_append(&got, piece, n);
    if (got.len != whole.len || memcmp(got.data, whole.data, got.len) != 0)
        abort();
    response_stream_free(&s);

    evaluation e;
    if (evaluate_batch(&b, model_num_classes(m), &e) != 0)
        abort();
    const char *names[MODEL_MAX_CLASSES];
    for (size_t k = 0; k < model_num_classes(m); k++)
        names[k] = model_class_name(m, k);
    buf summary = BUF_INIT;
    buf_putc(&summary, '{');
    evaluate_write_json(&summary, &e, names);
    buf_putc(&summary, '}');
    check_json(&summary, -1);

    buf_free(&summary);
    evaluation_free(&e);
    buf_free(&got);
    buf_free(&whole);
    batch_free(&b);
    return 0;
}
