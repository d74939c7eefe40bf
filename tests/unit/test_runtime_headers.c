/* test_runtime_headers.c: the /next response's headers, bounded and
 * validated, and the request id's URL path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime_headers.h"

static void feed(runtime_headers *h, const char *line)
{
    runtime_headers_line(h, line, strlen(line));
}

/* A header line "name: " followed by n copies of c. */
static void feed_long(runtime_headers *h, const char *name, char c, size_t n)
{
    size_t len = strlen(name) + 2 + n + 2;
    char *line = malloc(len + 1);
    assert_non_null(line);
    int o = snprintf(line, len + 1, "%s: ", name);
    memset(line + o, c, n);
    memcpy(line + o + n, "\r\n", 3);
    feed(h, line);
    free(line);
}

static void lambda_headers_are_read_case_insensitively_and_trimmed(void **state)
{
    (void)state;
    runtime_headers h = {0};
    runtime_headers_reset(&h);
    feed(&h, "lambda-runtime-aws-request-id:  8476a536-e9f4-11e8-9739-2dfe598c3fcd \r\n");
    feed(&h, "Lambda-Runtime-Deadline-Ms: 1542409706888\r\n");
    feed(&h, "Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1\r\n");
    feed(&h, "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-2:123456789012:"
             "function:custom-runtime\r\n");
    feed(&h, "Lambda-Runtime-Client-Context: {\"client\":{\"app_title\":\"caf\xC3\xA9\"}}\r\n");
    feed(&h, "Content-Length: 42\r\n");
    feed(&h, "X-Unknown: anything \x01 at all\r\n");
    assert_string_equal(h.problem, "");
    assert_string_equal(h.request_id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
    assert_true(h.deadline_ms == 1542409706888LL);
    assert_string_equal(h.trace_id, "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1");
    assert_string_equal(h.function_arn,
                        "arn:aws:lambda:us-east-2:123456789012:function:custom-runtime");
    assert_string_equal(h.client_context, "{\"client\":{\"app_title\":\"caf\xC3\xA9\"}}");
    assert_null(h.cognito_identity);
    assert_true(h.content_length == 42);
    runtime_headers_free(&h);
}

static void oversized_values_are_refused_naming_the_header_and_size(void **state)
{
    (void)state;
    runtime_headers h = {0};
    runtime_headers_reset(&h);
    feed_long(&h, "Lambda-Runtime-Client-Context", 'x', 16385);
    assert_string_equal(h.problem, "the Runtime API sent Lambda-Runtime-Client-Context of 16385 "
                                   "bytes; the limit is 16384 bytes");
    assert_null(h.client_context);
    runtime_headers_reset(&h);
    feed_long(&h, "Lambda-Runtime-Client-Context", 'x', 16384);
    assert_string_equal(h.problem, "");
    assert_int_equal(strlen(h.client_context), 16384);
    runtime_headers_reset(&h);
    feed_long(&h, "Lambda-Runtime-Trace-Id", 'T', 1025);
    assert_string_equal(h.problem, "the Runtime API sent Lambda-Runtime-Trace-Id of 1025 bytes; "
                                   "the limit is 1024 bytes");
    assert_string_equal(h.trace_id, "");
    runtime_headers_reset(&h);
    feed_long(&h, "Lambda-Runtime-Aws-Request-Id", 'a', 257);
    assert_true(h.id_too_long);
    assert_string_equal(h.request_id, "");
    runtime_headers_free(&h);
}

static void malformed_values_are_refused_with_the_offending_byte(void **state)
{
    (void)state;
    runtime_headers h = {0};
    runtime_headers_reset(&h);
    feed(&h, "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:\xC3\xA9\r\n");
    assert_string_equal(h.problem, "the Runtime API sent Lambda-Runtime-Invoked-Function-Arn with "
                                   "byte 0xC3 at offset 15; expected printable ASCII");
    runtime_headers_reset(&h);
    feed(&h, "Lambda-Runtime-Cognito-Identity: {\"id\":\"\xFF\"}\r\n");
    assert_string_equal(h.problem, "the Runtime API sent Lambda-Runtime-Cognito-Identity with byte "
                                   "0xFF at offset 7; expected UTF-8 text without control "
                                   "characters");
    runtime_headers_reset(&h);
    feed(&h, "Lambda-Runtime-Cognito-Identity: \xED\xA0\x80\r\n"); /* a UTF-8 surrogate */
    assert_string_not_equal(h.problem, "");
    runtime_headers_free(&h);
}

static void deadline_must_be_a_positive_bounded_number(void **state)
{
    (void)state;
    static const char *bad[] = {"soon", "-5", "0", "12a", "", "1234567890123456", "1.5"};
    runtime_headers h = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char line[64];
        snprintf(line, sizeof line, "Lambda-Runtime-Deadline-Ms: %s\r\n", bad[i]);
        runtime_headers_reset(&h);
        feed(&h, line);
        if (strstr(h.problem, "Lambda-Runtime-Deadline-Ms") == NULL)
            fail_msg("deadline \"%s\": expected a problem naming the header, got \"%s\"", bad[i],
                     h.problem);
        assert_true(h.deadline_ms == 0);
    }
    runtime_headers_reset(&h);
    feed(&h, "Lambda-Runtime-Deadline-Ms: soon\r\n");
    assert_string_equal(h.problem, "the Runtime API sent Lambda-Runtime-Deadline-Ms: \"soon\"; "
                                   "expected a positive decimal number of at most 15 digits");
    runtime_headers_free(&h);
}

static void a_header_sent_twice_is_a_problem_and_the_first_value_stays(void **state)
{
    (void)state;
    runtime_headers h = {0};
    runtime_headers_reset(&h);
    feed(&h, "Lambda-Runtime-Aws-Request-Id: first\r\n");
    feed(&h, "Lambda-Runtime-Aws-Request-Id: second\r\n");
    assert_string_equal(h.request_id, "first");
    assert_string_equal(h.problem, "the Runtime API sent Lambda-Runtime-Aws-Request-Id twice");
    runtime_headers_free(&h);
}

static void content_length_is_bounded(void **state)
{
    (void)state;
    runtime_headers h = {0};
    runtime_headers_reset(&h);
    feed(&h, "Content-Length: 16777217\r\n");
    assert_string_equal(h.problem, "the Runtime API sent an event of 16777217 bytes; the limit is "
                                   "16777216 bytes");
    assert_true(h.content_length == -1);
    runtime_headers_reset(&h);
    feed(&h, "Content-Length: 2147483648000\r\n");
    assert_string_equal(h.problem, "the Runtime API sent a Content-Length that is not a number");
    runtime_headers_reset(&h);
    feed(&h, "Content-Length: 0\r\n");
    assert_string_equal(h.problem, "");
    assert_true(h.content_length == 0);
    runtime_headers_free(&h);
}

static void request_id_path_percent_encodes_everything_outside_unreserved(void **state)
{
    (void)state;
    char path[1024], why[128];
    assert_int_equal(runtime_headers_id_path("8476a536-e9f4-11e8-9739-2dfe598c3fcd", "response",
                                             path, sizeof path, why, sizeof why),
                     0);
    assert_string_equal(path, "/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response");
    assert_int_equal(
        runtime_headers_id_path("a b%?#\xE9.~_", "error", path, sizeof path, why, sizeof why), 0);
    assert_string_equal(path, "/invocation/a%20b%25%3F%23%E9.~_/error");
}

static void request_ids_that_could_change_the_path_are_refused(void **state)
{
    (void)state;
    static const struct {
        const char *id, *why;
    } cases[] = {
        {"../../init", "the request id contains byte 0x2F at offset 2"},
        {"..", "the request id is a relative path segment"},
        {".", "the request id is a relative path segment"},
        {"a\\b", "the request id contains byte 0x5C at offset 1"},
        {"a\tb", "the request id contains byte 0x09 at offset 1"},
        {"", "the request id is empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[1024] = "", why[128] = "";
        int rc =
            runtime_headers_id_path(cases[i].id, "response", path, sizeof path, why, sizeof why);
        if (rc != -1 || strcmp(why, cases[i].why) != 0)
            fail_msg("id \"%s\": expected -1 \"%s\", got %d \"%s\"", cases[i].id, cases[i].why, rc,
                     why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lambda_headers_are_read_case_insensitively_and_trimmed),
        cmocka_unit_test(oversized_values_are_refused_naming_the_header_and_size),
        cmocka_unit_test(malformed_values_are_refused_with_the_offending_byte),
        cmocka_unit_test(deadline_must_be_a_positive_bounded_number),
        cmocka_unit_test(a_header_sent_twice_is_a_problem_and_the_first_value_stays),
        cmocka_unit_test(content_length_is_bounded),
        cmocka_unit_test(request_id_path_percent_encodes_everything_outside_unreserved),
        cmocka_unit_test(request_ids_that_could_change_the_path_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
