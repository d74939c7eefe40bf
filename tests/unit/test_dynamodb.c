/* test_dynamodb.c: aws/dynamodb without a network: the signed request
 * (Authorization checked against botocore's, from
 * tests/integration/dynamodb_vectors.py), the answer reader (success, the
 * JSON error shape of the DynamoDB developer guide's "Error handling" page,
 * with __type's code after '#' and "message" or "Message"), scrubbing, and
 * configuration errors.  Over-the-wire behaviour against dynalite is in
 * tests/integration/dynamodb_test.py; retry decisions in test_retry.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/dynamodb.h"
#include "aws/retry.h"
#include "tests/lib/aws_fake.h"

#define BODY "{\"TableName\":\"iris-alert-state\",\"Key\":{\"pk\":{\"S\":\"iris#inputs\"}},\"ConsistentRead\":true}"

/* botocore's SigV4Auth for the same request (tests/integration/dynamodb_vectors.py). */
static const char botocore_authorization[] =
    "AWS4-HMAC-SHA256 Credential=AKIDIRISLONGTERM01/20260102/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
    "Signature=e8f9fbd18db62535f8bd2730c72e29a8e032d903c5daba07f3a7ff9eadb79d10";

static ddb_client *client(const char *endpoint)
{
    ddb_client *c;
    AWS_FAKE_CLIENT(ddb, c, endpoint, AWS_FAKE_TOKEN);
    return c;
}

static const char *header(char **h, size_t n, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (strncmp(h[i], name, len) == 0 && h[i][len] == ':')
            return h[i] + len + 2;
    return NULL;
}

static void request_is_signed_for_dynamodb_as_botocore_signs_it(void **state)
{
    (void)state;
    ddb_client *c = client("http://127.0.0.1:8000");
    char **h = NULL;
    size_t n = 0;
    assert_int_equal(ddb_build_headers(c, "GetItem", BODY, strlen(BODY), AWS_FAKE_WHEN, &h, &n),
                     DDB_OK);
    static const struct {
        const char *name, *value;
    } want[] = {{"Host", "127.0.0.1:8000"},
                {"Content-Type", "application/x-amz-json-1.0"},
                {"X-Amz-Target", "DynamoDB_20120810.GetItem"},
                {"X-Amz-Date", "20260102T030405Z"},
                {"X-Amz-Security-Token", AWS_FAKE_TOKEN},
                {"Authorization", botocore_authorization}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *got = header(h, n, want[i].name);
        if (got == NULL || strcmp(got, want[i].value) != 0)
            fail_msg("%s: expected \"%s\", got \"%s\"", want[i].name, want[i].value,
                     got ? got : "(missing)");
    }
    for (size_t i = 0; i < n; i++)
        free(h[i]);
    free(h);
    ddb_client_free(c);
}

static void default_endpoint_is_the_regional_one(void **state)
{
    (void)state;
    ddb_client *c = client(NULL);
    assert_string_equal(ddb_client_endpoint(c), "https://dynamodb.us-east-1.amazonaws.com/");
    ddb_client_free(c);
}

static void bad_endpoint_and_missing_credentials_are_refused(void **state)
{
    (void)state;
    ddb_config cfg;
    ddb_config_defaults(&cfg);
    char err[256];
    cfg.region = "us-east-1";
    assert_null(ddb_client_new(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "credentials"));
    cfg.access_key_id = AWS_FAKE_KEY_ID;
    cfg.secret_access_key = AWS_FAKE_SECRET;
    cfg.endpoint = "ftp://127.0.0.1/";
    assert_null(ddb_client_new(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "http or https"));
}

static void success_answer_is_parsed(void **state)
{
    (void)state;
    const char body[] = "{\"Attributes\":{\"phase\":{\"N\":\"3\"}}}";
    cJSON *a = NULL;
    ddb_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(ddb_parse_answer(body, strlen(body), 200, NULL, 0, &a, &r), 0);
    const cJSON *n = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "Attributes"),
                                                             "phase"),
                                         "N");
    assert_string_equal(n->valuestring, "3");
    cJSON_Delete(a);
}

static void error_code_is_the_part_after_the_hash(void **state)
{
    (void)state;
    static const struct {
        long status;
        const char *body, *code, *message;
    } cases[] = {
        {400,
         "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\","
         "\"message\":\"The conditional request failed\"}",
         "ConditionalCheckFailedException", "The conditional request failed"},
        {400,
         "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException\","
         "\"Message\":\"Rate exceeded\"}",
         "ProvisionedThroughputExceededException", "Rate exceeded"},
        {400, "{\"__type\":\"ThrottlingException\"}", "ThrottlingException", ""},
        {503, "<html>Service Unavailable</html>", "HttpError",
         "HTTP 503 without a DynamoDB error in the body"},
        {200, "[1,2]", "HttpError", "HTTP 200 without a JSON object in the body"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *a = NULL;
        ddb_result r;
        memset(&r, 0, sizeof r);
        assert_int_equal(ddb_parse_answer(cases[i].body, strlen(cases[i].body), cases[i].status,
                                          NULL, 0, &a, &r),
                         -1);
        assert_null(a);
        if (strcmp(r.error_code, cases[i].code) != 0 ||
            strcmp(r.error_message, cases[i].message) != 0)
            fail_msg("case %zu: expected %s \"%s\", got %s \"%s\"", i, cases[i].code,
                     cases[i].message, r.error_code, r.error_message);
    }
}

static void throttling_codes_are_retried_as_throttling(void **state)
{
    (void)state;
    /* The codes DynamoDB's error handling page lists as throttling. */
    const char *codes[] = {"ProvisionedThroughputExceededException", "ThrottlingException",
                           "RequestLimitExceeded"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(retry_classify(400, codes[i], 0), RETRY_THROTTLING);
    assert_int_equal(retry_classify(400, "ConditionalCheckFailedException", 0),
                     RETRY_CLIENT_ERROR);
    assert_int_equal(retry_classify(500, "InternalServerError", 0), RETRY_TRANSIENT);
}

static void secrets_echoed_in_an_error_are_scrubbed(void **state)
{
    (void)state;
    const char body[] =
        "{\"__type\":\"x#UnrecognizedClientException\",\"message\":\"bad token "
        "irisFAKEsessionTOKEN\\/\\/AQoDYXdzEPT+NEVERLOG\\/zz== and " AWS_FAKE_SECRET "\"}";
    const char *secrets[] = {AWS_FAKE_SECRET, AWS_FAKE_TOKEN};
    cJSON *a = NULL;
    ddb_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(ddb_parse_answer(body, strlen(body), 400, secrets, 2, &a, &r), -1);
    if (strstr(r.error_message, "NEVERLOG") != NULL || strstr(r.error_message, "[redacted]") == NULL)
        fail_msg("expected the secrets redacted, got \"%s\"", r.error_message);
    assert_string_equal(r.error_code, "UnrecognizedClientException");
}

static void unreachable_endpoint_fails_after_the_standard_attempts(void **state)
{
    (void)state;
    /* Port 9 on loopback: nothing listens, the connection is refused at once. */
    ddb_client *c = client("http://127.0.0.1:9/");
    cJSON *a = NULL;
    ddb_result r;
    int rc = ddb_call(c, "GetItem", BODY, strlen(BODY), 0, &a, &r);
    if (rc != DDB_ERR_TRANSPORT || r.attempts != 3 || strcmp(r.error_code, "ConnectionError") != 0)
        fail_msg("expected a transport error after 3 attempts, got %s after %d (%s: %s)",
                 ddb_strerror(rc), r.attempts, r.error_code, r.error_message);
    assert_null(a);
    ddb_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_is_signed_for_dynamodb_as_botocore_signs_it),
        cmocka_unit_test(default_endpoint_is_the_regional_one),
        cmocka_unit_test(bad_endpoint_and_missing_credentials_are_refused),
        cmocka_unit_test(success_answer_is_parsed),
        cmocka_unit_test(error_code_is_the_part_after_the_hash),
        cmocka_unit_test(throttling_codes_are_retried_as_throttling),
        cmocka_unit_test(secrets_echoed_in_an_error_are_scrubbed),
        cmocka_unit_test(unreachable_endpoint_fails_after_the_standard_attempts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
