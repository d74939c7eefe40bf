/* test_kafka_record.c: the Kafka source's record parser (trainer/kafka_record.c)
 * on record values given here, and its properties file reader
 * (kafka_source_load_props), without a broker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/secrets.h"
#include "trainer/kafka_record.h"
#include "trainer/kafka_source.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>
#include <unistd.h>

/* The training set of the given values (one record each, partition 0). */
static trainset *read_values(const char *const *values, size_t n, char *err, size_t errlen)
{
    kafka_record recs[8];
    for (size_t i = 0; i < n; i++)
        recs[i] = (kafka_record){0, (int64_t)i, (char *)values[i], strlen(values[i])};
    kafka_record_list l = {recs, n, n};
    return kafka_record_trainset("iris", &l, "species", 1, NULL, err, errlen);
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

/* Runs kafka_source_load_props on text; returns its result, with its stderr in warn. */
static int props_of(const char *text, rd_kafka_conf_t *conf, char *err, size_t errlen, char *warn,
                    size_t warnlen)
{
    char path[] = "/tmp/test_kafka_record_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int mem = memfd_create("warnings", 0), saved = dup(2);
    fflush(stderr);
    dup2(mem, 2);
    struct secrets *hidden = secrets_new();
    int rc = kafka_source_load_props(conf, path, hidden, NULL, err, errlen);
    secrets_free(hidden);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ssize_t n = pread(mem, warn, warnlen - 1, 0);
    warn[n > 0 ? n : 0] = '\0';
    close(mem);
    unlink(path);
    return rc;
}

/* Found by fuzz-trainer-props: a line over 4,095 bytes was read in two
 * pieces, so a long secret's tail became a "property" quoted on stderr, and
 * names and librdkafka's echo of a value were printed raw. */
static void long_lines_are_one_property_and_names_are_printable(void **state)
{
    (void)state;
    static char text[6000], want[5100], err[512], warn[4096];
    char got[5100];
    size_t glen = sizeof got;
    memset(want, 'A', 5000);
    memcpy(want + 5000, "SECRET=1", 9);
    snprintf(text, sizeof text, "sasl.password=%s\nct\x01l=1\n", want);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(props_of(text, conf, err, sizeof err, warn, sizeof warn), 0);
    assert_int_equal(rd_kafka_conf_get(conf, "sasl.password", got, &glen), RD_KAFKA_CONF_OK);
    assert_string_equal(got, want);
    if (strstr(warn, "SECRET") != NULL || strstr(warn, "\"ct\\x01l\"") == NULL)
        fail_msg("expected one warning, for \"ct\\x01l\", got \"%s\"", warn);
    assert_int_equal(
        props_of("security.protocol=SASL_SS\xa1\n", conf, err, sizeof err, warn, sizeof warn), -1);
    if (strstr(err, "Invalid value \"SASL_SS?\"") == NULL)
        fail_msg("expected librdkafka's echo of the value as printable ASCII, got \"%s\"", err);
    rd_kafka_conf_destroy(conf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(field_names_in_errors_are_printable),
        cmocka_unit_test(a_label_that_is_not_utf8_is_refused),
        cmocka_unit_test(long_lines_are_one_property_and_names_are_printable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
