/* fuzz_batch.c: libFuzzer target for the batch parser.  For any input:
 *   - the fast path (batch_parse) and the cJSON reference path
 *     (batch_parse_cjson) agree on the status, the error message and every
 *     record; neither may crash or leak (ASan);
 *   - what the function answers is valid UTF-8 JSON: an event error is
 *     printable ASCII (it becomes the Runtime API's errorMessage), and a
 *     response is a JSON array with one element per record, in order (each
 *     element echoes its record's offset and partition);
 *   - an event that parses and that cJSON also reads whole has as many
 *     records as cJSON's array has elements.
 * Run: make fuzz-batch FUZZ_SECONDS=60 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/batch/batch.h"
#include "lambda/batch/batch_internal.h"
#include "lambda/evaluate.h"
#include "lambda/response.h"
#include "tests/fuzz/fuzz_check.h" /* fuzz_valid_utf8: RFC 3629, independent of the code under test */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_string(const char *x, const char *y)
{
    return (x == NULL && y == NULL) || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

static int same_record(const batch_record *x, const batch_record *y)
{
    if ((x->error == NULL) != (y->error == NULL) || x->key_not_utf8 != y->key_not_utf8)
        return 0;
    if (x->error != NULL) /* the metadata echoed beside the error too */
        return strcmp(x->error, y->error) == 0 && x->partition == y->partition &&
               x->offset == y->offset && x->timestamp_ms == y->timestamp_ms &&
               same_string(x->topic, y->topic) && same_string(x->key, y->key);
    return x->partition == y->partition && x->offset == y->offset &&
           x->timestamp_ms == y->timestamp_ms && strcmp(x->species, y->species) == 0 &&
           memcmp(x->features, y->features, sizeof x->features) == 0 &&
           ((x->key == NULL && y->key == NULL) ||
            (x->key != NULL && y->key != NULL && strcmp(x->key, y->key) == 0)) &&
           ((x->topic == NULL && y->topic == NULL) ||
            (x->topic != NULL && y->topic != NULL && strcmp(x->topic, y->topic) == 0));
}

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "%s: %.400s\n", what, detail);
    abort();
}

static model *iris_model(void)
{
    static model *m;
    char err[512];
    if (m == NULL && (m = model_load("model/iris-model.json", err, sizeof err)) == NULL)
        fail("cannot load model/iris-model.json (run from the repository)", err);
    return m;
}

/* The response to a parsed batch: valid UTF-8 JSON, one element per record
 * in order. */
static void check_response(batch *b)
{
    model *m = iris_model();
    evaluate_score(m, b);
    buf out = BUF_INIT;
    if (response_write(&out, b, m) != 0)
        fail("response_write failed", "");
    if (!fuzz_valid_utf8((const unsigned char *)out.data, out.len))
        fail("the response is not valid UTF-8", out.data);
    cJSON *doc = cJSON_ParseWithLength(out.data, out.len);
    if (!cJSON_IsArray(doc) || (size_t)cJSON_GetArraySize(doc) != b->count)
        fail("the response is not a JSON array of one element per record", out.data);
    size_t i = 0;
    for (const cJSON *el = doc->child; el != NULL; el = el->next, i++) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(el, "payload");
        const cJSON *off = cJSON_GetObjectItemCaseSensitive(p, "offset");
        const cJSON *part = cJSON_GetObjectItemCaseSensitive(p, "partition");
        const batch_record *r = &b->records[i];
        int same =
            (r->offset < 0 ? cJSON_IsNull(off)
                           : cJSON_IsNumber(off) && off->valuedouble == (double)r->offset) &&
            (r->partition < 0 ? cJSON_IsNull(part)
                              : cJSON_IsNumber(part) && part->valuedouble == (double)r->partition);
        if (!same)
            fail("a response element is not its record's (order)", out.data);
    }
    cJSON_Delete(doc);
    buf_free(&out);
}

/* An independent oracle for the event's outline: cJSON on the whole event. */
static void check_against_whole_cjson(const char *json, size_t size, int rc, const batch *b)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, size, &end, 0);
    if (root == NULL)
        return;
    while (end < json + size && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    /* The converse does not hold: cJSON is looser than RFC 8259 (leading
     * zeros, raw control characters, any byte <= ' ' as whitespace). */
    int whole = end == json + size;
    if (whole && rc == BATCH_OK && cJSON_IsArray(root) &&
        (size_t)cJSON_GetArraySize(root) != b->count)
        fail("the record count differs from cJSON's array size", json);
    cJSON_Delete(root);
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
    if (ra != BATCH_OK) {
        for (const char *c = ea; *c != '\0'; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
                fail("an event error is not printable ASCII", ea);
    }
    check_against_whole_cjson(json, size, ra, &a);
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
    if (ra == BATCH_OK)
        check_response(&a);
    batch_free(&a);
    batch_free(&b);
    return 0;
}
