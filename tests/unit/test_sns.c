/* test_sns.c: aws/sns without a network: the Query API form body (FIFO ids too), the
 * signed request (Authorization checked against botocore's, from
 * tests/integration/sns_vectors.py), response parsing and scrubbing, validation
 * and configuration errors.  Over-the-wire behaviour is in
 * tests/integration/sns_integration.py; retry decisions in test_retry.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "aws/sns.h"
#include "aws/sns_internal.h"
#include "tests/lib/aws_fake.h"

#define TOPIC "arn:aws:sns:us-east-1:123456789012:iris-alerts"

/* Written by hand from RFC 3986 (tests/integration/sns_vectors.py signs the same). */
static const char expected_body[] =
    "Action=Publish&Version=2010-03-31"
    "&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Airis-alerts"
    "&Subject=iris%20model%20accuracy%2045%25%20%3C%2090%25"
    "&Message=caf%C3%A9%20%26%20%3D%20%2B%20~%20%2A%0A%22q%22"
    "&MessageAttributes.entry.1.Name=accuracy"
    "&MessageAttributes.entry.1.Value.DataType=Number"
    "&MessageAttributes.entry.1.Value.StringValue=0.45";

/* botocore's SigV4Auth for the same requests (tests/integration/sns_vectors.py). */
static const char botocore_local_long_term[] =
    "AWS4-HMAC-SHA256 Credential=AKIDIRISLONGTERM01/20260102/us-east-1/sns/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date, "
    "Signature=70ead718fe598260b4950b6553275eb4b676acd239214db8e7cafec5bba3b3d6";
static const char botocore_aws_session[] =
    "AWS4-HMAC-SHA256 Credential=AKIDIRISLONGTERM01/20260102/us-east-1/sns/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
    "Signature=1b5f237c3defbba7eae01f7ada52164ae42a794ee4e493ce3a54d7647072a051";

static const sns_attribute accuracy_attr[] = {{"accuracy", "Number", "0.45"}};
static const char message_text[] = "caf\xc3\xa9 & = + ~ *\n\"q\"";

static sns_message sample_message(void)
{
    sns_message m = {TOPIC,         "iris model accuracy 45% < 90%",
                     message_text,  strlen(message_text),
                     accuracy_attr, 1,
                     NULL,          NULL};
    return m;
}

static sns_client *new_client(const char *endpoint, const char *token)
{
    sns_client *c;
    AWS_FAKE_CLIENT(sns, c, endpoint, token);
    return c;
}

static int has_header(const sns_request *r, const char *line)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcmp(r->headers[i], line) == 0)
            return 1;
    print_error("header \"%s\" not among the %zu built:\n", line, r->nheaders);
    for (size_t i = 0; i < r->nheaders; i++)
        print_error("  %s\n", r->headers[i]);
    return 0;
}

static void test_form_body_is_rfc3986_encoded_query_api(void **state)
{
    (void)state;
    sns_message m = sample_message();
    buf body = BUF_INIT;
    assert_int_equal(sns_form_publish(&body, &m), 0);
    if (strcmp(body.data, expected_body) != 0)
        print_error("expected %s\n     got %s\n", expected_body, body.data);
    assert_string_equal(body.data, expected_body);
    buf_free(&body);
}

static void test_signed_request_matches_botocore_long_term(void **state)
{
    (void)state;
    sns_client *c = new_client("http://127.0.0.1:4566", NULL);
    sns_message m = sample_message();
    sns_request r;
    assert_int_equal(sns_build_publish(c, &m, AWS_FAKE_WHEN, &r), SNS_OK);
    assert_string_equal(r.url, "http://127.0.0.1:4566/");
    assert_string_equal(r.body.data, expected_body);
    assert_true(has_header(&r, "Host: 127.0.0.1:4566"));
    assert_true(has_header(&r, "Content-Type: application/x-www-form-urlencoded; charset=utf-8"));
    assert_true(has_header(&r, "X-Amz-Date: 20260102T030405Z"));
    char want[512];
    snprintf(want, sizeof want, "Authorization: %s", botocore_local_long_term);
    assert_true(has_header(&r, want));
    for (size_t i = 0; i < r.nheaders; i++)
        assert_null(strstr(r.headers[i], "X-Amz-Security-Token"));
    sns_request_free(&r);
    sns_client_free(c);
}

static void test_signed_request_matches_botocore_session_token(void **state)
{
    (void)state;
    sns_client *c = new_client(NULL, AWS_FAKE_TOKEN);
    assert_string_equal(sns_client_endpoint(c), "https://sns.us-east-1.amazonaws.com/");
    sns_message m = sample_message();
    sns_request r;
    assert_int_equal(sns_build_publish(c, &m, AWS_FAKE_WHEN, &r), SNS_OK);
    assert_true(has_header(&r, "Host: sns.us-east-1.amazonaws.com"));
    assert_true(has_header(&r, "X-Amz-Security-Token: " AWS_FAKE_TOKEN));
    char want[512];
    snprintf(want, sizeof want, "Authorization: %s", botocore_aws_session);
    assert_true(has_header(&r, want));
    sns_request_free(&r);
    sns_client_free(c);
}

static void test_default_endpoint_for_china_regions(void **state)
{
    (void)state;
    sns_config cfg;
    sns_config_defaults(&cfg);
    cfg.region = "cn-north-1";
    cfg.access_key_id = AWS_FAKE_KEY_ID;
    cfg.secret_access_key = AWS_FAKE_SECRET;
    char err[256];
    sns_client *c = sns_client_new(&cfg, err, sizeof err);
    assert_non_null(c);
    assert_string_equal(sns_client_endpoint(c), "https://sns.cn-north-1.amazonaws.com.cn/");
    sns_client_free(c);
}

static void test_bad_configuration_is_refused_with_reason(void **state)
{
    (void)state;
    static const struct {
        const char *region, *endpoint, *key, *secret, *want;
    } t[] = {
        {"us-east-1", "ftp://127.0.0.1/", AWS_FAKE_KEY_ID, AWS_FAKE_SECRET,
         "must use http or https"},
        {"us-east-1", "http://127.0.0.1:4566/?x=1", AWS_FAKE_KEY_ID, AWS_FAKE_SECRET, "query"},
        {"us-east-1", "not a url", AWS_FAKE_KEY_ID, AWS_FAKE_SECRET, "not a URL"},
        {NULL, NULL, AWS_FAKE_KEY_ID, AWS_FAKE_SECRET, "no region"},
        {"us-east-1", NULL, AWS_FAKE_KEY_ID, NULL, "no credentials"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        sns_config cfg;
        sns_config_defaults(&cfg);
        cfg.region = t[i].region;
        cfg.endpoint = t[i].endpoint;
        cfg.access_key_id = t[i].key;
        cfg.secret_access_key = t[i].secret;
        char err[256] = "";
        sns_client *c = sns_client_new(&cfg, err, sizeof err);
        if (c != NULL || strstr(err, t[i].want) == NULL)
            print_error("case %zu: expected NULL and \"%s\" in the error, got %p \"%s\"\n", i,
                        t[i].want, (void *)c, err);
        assert_null(c);
        assert_non_null(strstr(err, t[i].want));
    }
}

/* An SNS answer's body and what sns_parse_response() must make of it: the
 * result, then (when it is 0) each field of the sns_result. */
typedef struct parse_case {
    const char *body;
    int rc;
    const char *message_id, *request_id, *error_code, *error_message;
} parse_case;

static void expect_parse(const parse_case *c)
{
    sns_result r;
    memset(&r, 0, sizeof r);
    int rc = sns_parse_response(c->body, c->body ? strlen(c->body) : 0, &r);
    if (rc != c->rc)
        fail_msg("expected %d, got %d for %s", c->rc, rc, c->body ? c->body : "(no body)");
    if (rc != 0)
        return;
    const char *const want[] = {c->message_id, c->request_id, c->error_code, c->error_message};
    const char *const got[] = {r.message_id, r.request_id, r.error_code, r.error_message};
    static const char *const field[] = {"message id", "request id", "error code", "error message"};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(want[i], got[i]) != 0)
            fail_msg("%s: expected \"%s\", got \"%s\"", field[i], want[i], got[i]);
}

static void test_parse_publish_response(void **state)
{
    (void)state;
    /* The shape of the Publish example in the SNS API reference. */
    static const char xml[] =
        "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\n"
        "  <PublishResult>\n"
        "    <MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId>\n"
        "  </PublishResult>\n"
        "  <ResponseMetadata>\n"
        "    <RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId>\n"
        "  </ResponseMetadata>\n"
        "</PublishResponse>\n";
    static const parse_case c = {
        xml, 0, "567910cd-659e-55d4-8ccb-5aaf14679dc0", "d74b8436-ae13-5ab4-a9ff-ce54dfea72a0",
        "",  ""};
    expect_parse(&c);
}

static void test_parse_error_response_decodes_entities(void **state)
{
    (void)state;
    static const char xml[] =
        "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\n"
        "  <Error>\n    <Type>Sender</Type>\n    <Code>InvalidParameter</Code>\n"
        "    <Message>Invalid parameter: Subject &amp; &lt;x&gt; &quot;y&quot; &#39;z&#39;"
        "</Message>\n  </Error>\n  <RequestId>abc-123</RequestId>\n</ErrorResponse>\n";
    static const parse_case c = {
        xml, 0, "", "abc-123", "InvalidParameter", "Invalid parameter: Subject & <x> \"y\" 'z'"};
    expect_parse(&c);
}

static void test_parse_non_sns_body_fails(void **state)
{
    (void)state;
    static const parse_case cases[] = {
        {.body = "<html><body>502 Bad Gateway</body></html>", .rc = -1}, {.body = NULL, .rc = -1}};
    expect_parse(&cases[0]);
    expect_parse(&cases[1]);
}

static void test_fifo_parameters_are_sent_after_the_attributes(void **state)
{
    (void)state;
    sns_message m = sample_message();
    m.topic_arn = TOPIC ".fifo";
    m.message_group_id = "iris-scoring";
    m.message_deduplication_id = "threshold-critical,iris/0/100-119";
    buf body = BUF_INIT;
    assert_int_equal(sns_form_publish(&body, &m), 0);
    static const char tail[] = "&MessageAttributes.entry.1.Value.StringValue=0.45"
                               "&MessageGroupId=iris-scoring"
                               "&MessageDeduplicationId=threshold-critical%2Ciris%2F0%2F100-119";
    const char *got = strstr(body.data, "&MessageAttributes.entry.1.Value.StringValue");
    if (got == NULL || strcmp(got, tail) != 0)
        print_error("expected the body to end with %s\n got %s\n", tail, body.data);
    assert_non_null(got);
    assert_string_equal(got, tail);
    buf_free(&body);
}

static void test_fifo_rules_checked_before_sending(void **state)
{
    (void)state;
    char id129[130];
    memset(id129, 'a', 129);
    id129[129] = '\0';
    static const struct {
        const char *topic, *group, *dedup;
        int ok;
    } t[] = {
        {TOPIC ".fifo", "g", "d", 1},
        {TOPIC ".fifo", NULL, "d", 0}, /* SNS: MessageGroupId is required for FIFO topics */
        {TOPIC, NULL, "d", 0},         /* SNS: not valid for this topic type */
        {TOPIC, "g", NULL, 1},         /* a group id on a standard topic is allowed */
        {TOPIC ".fifo", "g", "with space", 0},
        {TOPIC ".fifo", "g", "caf\xc3\xa9", 0},
        {TOPIC ".fifo", "g", "", 0},
        {TOPIC ".fifo", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "d", 1},
        {TOPIC ".fifo", "g", NULL, 1}, /* content-based deduplication may be on */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        sns_message m = sample_message();
        m.topic_arn = t[i].topic;
        m.message_group_id = t[i].group;
        m.message_deduplication_id = t[i].dedup;
        sns_result r;
        memset(&r, 0, sizeof r);
        int rc = sns_validate_message(&m, &r);
        if ((rc == 0) != t[i].ok)
            print_error("case %zu: expected %s, got %d (%s)\n", i, t[i].ok ? "ok" : "refused", rc,
                        r.error_message);
        assert_int_equal(rc == 0, t[i].ok);
    }
    sns_message m = sample_message();
    m.topic_arn = TOPIC ".fifo";
    m.message_group_id = "g";
    m.message_deduplication_id = id129;
    sns_result r;
    assert_int_equal(sns_validate_message(&m, &r), -1);
    assert_string_equal(r.error_code, "InvalidMessage");
    id129[128] = '\0';
    assert_int_equal(sns_validate_message(&m, &r), 0);
}

static void test_fifo_id_keeps_a_valid_key_and_hashes_any_other(void **state)
{
    (void)state;
    char out[SNS_MAX_FIFO_ID_CHARS + 1];
    assert_int_equal(sns_fifo_id("threshold-critical,iris/0/100-119", out), 0);
    assert_string_equal(out, "threshold-critical,iris/0/100-119");
    buf key = BUF_INIT;
    buf_puts(&key, "threshold-critical");
    for (int i = 0; i < 5; i++)
        buf_printf(&key, ",topic-with-a-long-name-%02d/0/100-119", i);
    assert_int_equal(sns_fifo_id(key.data, out), 0);
    /* hashlib.sha256(key).hexdigest() in Python */
    assert_string_equal(out, "c5748429083ed2d69f49c6a105daba43b062799bc7091463422874052d0b59e0");
    buf_free(&key);
    assert_true(sns_is_fifo_topic(TOPIC ".fifo"));
    assert_false(sns_is_fifo_topic(TOPIC));
    assert_false(sns_is_fifo_topic(".fifo"));
}

static void test_error_fields_are_scrubbed_bounded_and_printable(void **state)
{
    (void)state;
    /* A hostile endpoint echoing the token, escaped, and control bytes. */
    static const char xml[] =
        "<ErrorResponse><Error><Code>X" AWS_FAKE_TOKEN "</Code>"
        "<Message>token irisFAKEsessionTOKEN%2F%2FAQoDYXdzEPT%2BNEVERLOG and "
        "irisFAKEsecret&#x2F;LongTerm&#43;Key0123456789NEVERLOG\x01\n end</Message></Error>"
        "<RequestId>id-" AWS_FAKE_SECRET "</RequestId></ErrorResponse>";
    sns_client *c = new_client("http://127.0.0.1:9/", AWS_FAKE_TOKEN);
    sns_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(sns_parse_response_for(c, xml, strlen(xml), &r), 0);
    assert_string_equal(r.error_code, "X[redacted]");
    assert_string_equal(r.error_message, "token [redacted] and [redacted]?  end");
    assert_string_equal(r.request_id, "id-[redacted]");
    sns_client_free(c);
}

static void test_invalid_messages_refused_before_sending(void **state)
{
    (void)state;
    /* An endpoint nothing listens on: any attempt would show in attempts. */
    sns_client *c = new_client("http://127.0.0.1:9/", NULL);
    char subject100[101];
    memset(subject100, 'x', 100);
    subject100[100] = '\0';
    char *huge = malloc(SNS_MAX_MESSAGE_BYTES + 1);
    assert_non_null(huge);
    memset(huge, 'm', SNS_MAX_MESSAGE_BYTES + 1);
    const sns_message bad[] = {
        {TOPIC, subject100, "m", 1, NULL, 0, NULL, NULL},
        {TOPIC, "line\nbreak", "m", 1, NULL, 0, NULL, NULL},
        {TOPIC, "caf\xc3\xa9", "m", 1, NULL, 0, NULL, NULL},
        {TOPIC, "", "m", 1, NULL, 0, NULL, NULL},
        {TOPIC, NULL, "", 0, NULL, 0, NULL, NULL},
        {"", NULL, "m", 1, NULL, 0, NULL, NULL},
        {TOPIC, NULL, huge, SNS_MAX_MESSAGE_BYTES + 1, NULL, 0, NULL, NULL},
        {TOPIC, NULL, huge, SNS_MAX_MESSAGE_BYTES - 10, accuracy_attr, 1, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sns_result r;
        int rc = sns_publish(c, &bad[i], 0, &r);
        if (rc != SNS_ERR_INVALID || r.attempts != 0)
            print_error("message %zu: expected SNS_ERR_INVALID with 0 attempts, got %d/%d (%s)\n",
                        i, rc, r.attempts, r.error_message);
        assert_int_equal(rc, SNS_ERR_INVALID);
        assert_int_equal(r.attempts, 0);
        assert_string_equal(r.error_code, "InvalidMessage");
    }
    free(huge);
    sns_client_free(c);
}

static void test_past_deadline_sends_nothing(void **state)
{
    (void)state;
    sns_client *c = new_client("http://127.0.0.1:9/", NULL);
    sns_message m = sample_message();
    sns_result r;
    assert_int_equal(sns_publish(c, &m, 1000 /* 1970 */, &r), SNS_ERR_DEADLINE);
    assert_int_equal(r.attempts, 0);
    assert_string_equal(r.error_code, "DeadlineExceeded");
    sns_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_body_is_rfc3986_encoded_query_api),
        cmocka_unit_test(test_signed_request_matches_botocore_long_term),
        cmocka_unit_test(test_signed_request_matches_botocore_session_token),
        cmocka_unit_test(test_default_endpoint_for_china_regions),
        cmocka_unit_test(test_bad_configuration_is_refused_with_reason),
        cmocka_unit_test(test_parse_publish_response),
        cmocka_unit_test(test_parse_error_response_decodes_entities),
        cmocka_unit_test(test_parse_non_sns_body_fails),
        cmocka_unit_test(test_fifo_parameters_are_sent_after_the_attributes),
        cmocka_unit_test(test_fifo_rules_checked_before_sending),
        cmocka_unit_test(test_fifo_id_keeps_a_valid_key_and_hashes_any_other),
        cmocka_unit_test(test_error_fields_are_scrubbed_bounded_and_printable),
        cmocka_unit_test(test_invalid_messages_refused_before_sending),
        cmocka_unit_test(test_past_deadline_sends_nothing),
    };
    return cmocka_run_group_tests_name("sns", tests, NULL, NULL);
}
