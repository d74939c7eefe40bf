/* test_kafka_record.c: the Kafka source's record parser (trainer/kafka_source.c)
 * on record values given here, without a broker: the source file is compiled
 * in whole so its file-local parser is reached as build/train reaches it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "trainer/kafka_source.c"

/* The training set of the given values (one record each, partition 0). */
static trainset *read_values(const char *const *values, size_t n, char *err, size_t errlen)
{
    record recs[8];
    for (size_t i = 0; i < n; i++)
        recs[i] = (record){0, (int64_t)i, (char *)values[i], strlen(values[i])};
    record_list l = {recs, n, n};
    return records_trainset("iris", &l, "species", 1, err, errlen);
}

static void expect_error(const char *const *values, size_t n, const char *want)
{
    char err[512] = "";
    trainset *d = read_values(values, n, err, sizeof err);
    if (d != NULL) {
        trainset_free(d);
        fail_msg("expected \"%s\", got a training set", want);
    }
    if (strcmp(err, want) != 0)
        fail_msg("expected \"%s\", got \"%s\"", want, err);
}

/* Found by fuzz-trainer-kafka: field names were quoted raw (control bytes,
 * invalid UTF-8) in the errors build/train prints. */
static void field_names_in_errors_are_printable(void **state)
{
    (void)state;
    const char *const control[] = {"{\"a\\u0001b\":1,\"species\":\"x\"}"};
    expect_error(control, 1,
                 "kafka topic iris partition 0 offset 0: field \"a\\x01b\": not a usable "
                 "feature name (printable characters, not only '_', '-', '.' or ' ')");
    const char *const invalid[] = {"{\"caf\xc3\":1,\"species\":\"x\"}"};
    expect_error(invalid, 1,
                 "kafka topic iris partition 0 offset 0: \"caf\\xC3\" is not a usable feature "
                 "name (1 to 63 printable characters, not only '_', '-', '.' or ' ')");
    const char *const missing[] = {"{\"caf\xc3\xa9\":1,\"species\":\"x\"}",
                                   "{\"CAF\xc3\":1,\"species\":\"y\"}"};
    expect_error(missing, 2,
                 "kafka topic iris partition 0 offset 1: field \"caf\\xC3\\xA9\": missing (the "
                 "first record has it)");
    const char *const not_number[] = {"{\"caf\xc3\xa9\":1,\"species\":\"x\"}",
                                      "{\"CAF\xc3\xa9\":true,\"species\":\"y\"}"};
    expect_error(not_number, 2,
                 "kafka topic iris partition 0 offset 1: field \"CAF\\xC3\\xA9\": expected a "
                 "number");
}

/* Found by fuzz-trainer-kafka: a label that is not UTF-8 became a class, a
 * JSON string of the artifact that is not UTF-8 (RFC 8259 section 8.1). */
static void a_label_that_is_not_utf8_is_refused(void **state)
{
    (void)state;
    const char *const values[] = {"{\"a\":1,\"species\":\"x\"}", "{\"a\":2,\"species\":\"s\xd0\"}"};
    expect_error(values, 2,
                 "kafka topic iris partition 0 offset 1: field \"species\": not a usable label "
                 "(1 to 63 printable characters)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(field_names_in_errors_are_printable),
        cmocka_unit_test(a_label_that_is_not_utf8_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
