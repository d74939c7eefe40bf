/* Unit tests for producer/props: properties files and -X arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "producer/props.h"

static char *write_temp_n(const char *text, size_t len)
{
    char *path = strdup("/tmp/test_producer_props.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

static char *write_temp(const char *text)
{
    return write_temp_n(text, strlen(text));
}

static void loads_confluent_client_properties(void **state)
{
    (void)state;
    char err[512];
    struct props p = {0};
    char *path = write_temp("# Required connection configs for Kafka producer\n"
                            "bootstrap.servers=pkc-xxxx.us-east-1.aws.confluent.cloud:9092\n"
                            "security.protocol=SASL_SSL\n"
                            "  sasl.mechanisms = PLAIN \r\n"
                            "! another comment\n"
                            "\n"
                            "sasl.username=KEY\n"
                            "sasl.password=abc=def==\n");
    assert_int_equal(props_load(&p, path, err, sizeof(err)), 0);
    assert_int_equal(p.n, 5);
    assert_string_equal(props_get(&p, "sasl.mechanisms"), "PLAIN");
    assert_string_equal(props_get(&p, "sasl.password"), "abc=def=="); /* split at first '=' */
    char where[600];
    snprintf(where, sizeof(where), "%s:4", path);
    assert_string_equal(p.items[2].origin, where);
    /* -X comes later and wins */
    assert_int_equal(props_add_arg(&p, "sasl.mechanisms=SCRAM-SHA-256", err, sizeof(err)), 0);
    assert_string_equal(props_get(&p, "sasl.mechanisms"), "SCRAM-SHA-256");
    assert_string_equal(p.items[p.n - 1].origin, "-X");
    assert_null(props_get(&p, "acks"));
    props_free(&p);
    unlink(path);
    free(path);
}

/* A string literal with its length, NUL bytes included. */
#define LIT(s) s, sizeof(s) - 1
static const struct {
    const char *text;
    size_t len;
    const char *error; /* after "PATH:" */
} bad_files[] = {
    {LIT("a=1\nsasl.password hunter2\n"), ":2: expected key=value (no '=' found)"},
    {LIT("=value\n"), ":1: empty property name before '='"},
    {LIT("sasl password=x\n"), ":1: property name contains blanks"},
    {LIT("sasl.jaas.config=x \\\n  y\n"), ":1: line continuation with '\\' is not supported"},
    {LIT("a=1\nsasl.password=hun\0ter2\n"),
     ":2:18: a NUL byte (0x00): this is not a text properties"},
    {LIT("a=1\nb=\xff\xfehunter2\n"), ":2:3: a byte that is not UTF-8 (0xFF)"},
    {LIT("sasl.password=hunter2\x01\n"), ":1:22: a control byte (0x01)"},
    {LIT("\xed\xa0\x80=1\n"), ":1:1: a byte that is not UTF-8 (0xED)"}, /* a surrogate */
};

static void reports_bad_lines_without_their_text(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
        char err[512];
        struct props p = {0};
        char *path = write_temp_n(bad_files[i].text, bad_files[i].len);
        assert_int_equal(props_load(&p, path, err, sizeof(err)), -1);
        if (strncmp(err, path, strlen(path)) != 0 ||
            strncmp(err + strlen(path), bad_files[i].error, strlen(bad_files[i].error)) != 0)
            fail_msg("case %zu: expected '%s%s', got '%s'", i, path, bad_files[i].error, err);
        assert_null(strstr(err, "hunter2"));
        props_free(&p);
        unlink(path);
        free(path);
    }
    char err[512];
    struct props p = {0};
    assert_int_equal(props_load(&p, "/no/such.properties", err, sizeof(err)), -1);
    assert_string_equal(err, "/no/such.properties: cannot open properties file: No such file or "
                             "directory");
    assert_int_equal(props_add_arg(&p, "acks", err, sizeof(err)), -1);
    assert_string_equal(err, "-X: expected key=value (no '=' found)");
}

static void knows_java_only_keys(void **state)
{
    (void)state;
    assert_true(props_is_java_only("sasl.jaas.config"));
    assert_true(props_is_java_only("client.dns.lookup"));
    assert_true(props_is_java_only("basic.auth.user.info"));
    assert_false(props_is_java_only("sasl.password"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads_confluent_client_properties),
        cmocka_unit_test(reports_bad_lines_without_their_text),
        cmocka_unit_test(knows_java_only_keys),
    };
    return cmocka_run_group_tests_name("producer_props", tests, NULL, NULL);
}
