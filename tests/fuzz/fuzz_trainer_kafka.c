/* fuzz_trainer_kafka.c: libFuzzer target for the record parser of the
 * trainer's Kafka source (trainer/kafka_record.c: each record value, a JSON
 * object, into a labelled row), without a broker.  The input's lines are the values of a topic's
 * records (partition = line % 3, offset = line).  For every input:
 *   - a refusal is a message of UTF-8 text without control characters (it is
 *     printed to a terminal) that names the topic;
 *   - an accepted topic gives one row per record, 1..MODEL_MAX_FEATURES
 *     finite features named as the first record names them, at least two
 *     classes, each class name 1 to 63 bytes of UTF-8 without control
 *     characters (it becomes a JSON string of the artifact).
 * Run: make fuzz-trainer-kafka FUZZ_SECONDS=60 */
#include "trainer/kafka_record.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_check.h"

static void check_refusal(const char *err)
{
    size_t n = strlen(err);
    fuzz_check_text_message("error", err);
    if (strstr(err, "kafka topic iris") == NULL)
        fuzz_fail("error", "the topic named", err, n);
}

static void check_accepted(const trainset *d, size_t nrecords)
{
    if (d->n != nrecords)
        fuzz_fail("training set", "one row per record", NULL, 0);
    if (d->nfeatures == 0 || d->nfeatures > MODEL_MAX_FEATURES || d->nclasses < 2)
        fuzz_fail("training set", "1..MODEL_MAX_FEATURES features and 2 classes at least", NULL, 0);
    for (size_t i = 0; i < d->n * d->nfeatures; i++)
        if (!isfinite(d->x[i]))
            fuzz_fail("feature value", "finite", NULL, 0);
    for (size_t c = 0; c < d->nclasses; c++) {
        size_t n = strlen(d->class_names[c]);
        if (n == 0 || n > 63 || !fuzz_valid_utf8((const unsigned char *)d->class_names[c], n))
            fuzz_fail("class name", "1 to 63 bytes of UTF-8", d->class_names[c], n);
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)d->class_names[c][i] < 0x20 || d->class_names[c][i] == 0x7F)
                fuzz_fail("class name", "no control characters", d->class_names[c], n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kafka_record_list l = {0};
    if (size == 0)
        return 0; /* kafka_source_read refuses an empty topic before parsing */
    const char *s = (const char *)data, *end = s + size;
    for (size_t i = 0; s < end; i++) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
        if (kafka_record_list_add(&l, (int32_t)(i % 3), (int64_t)i, s, len) != 0)
            abort();
        s += len + 1;
    }
    char err[1024] = "";
    trainset *d = kafka_record_trainset("iris", &l, "species", 2, NULL, err, sizeof err);
    if (d == NULL)
        check_refusal(err);
    else
        check_accepted(d, l.n);
    trainset_free(d);
    kafka_record_list_clear(&l);
    return 0;
}
