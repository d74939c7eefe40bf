/* fuzz_sns_response.c: libFuzzer target for the SNS Query API response reader
 * (sns_parse_response_for in aws/sns_query.c: PublishResponse and
 * ErrorResponse XML).  The input chooses the client's secret key and session
 * token (base64 alphabet), then the body.  For every input:
 *   - the result is 0 or -1, and 0 only with a MessageId or an error Code;
 *   - MessageId, RequestId, Code and Message are NUL-terminated within their
 *     fields, printable ASCII, and hold no piece of either secret, as written
 *     or unescaped (tests/fuzz/fuzz_escapes.h);
 *   - a body whose first <MessageId> holds a plain id (letters, digits, '-',
 *     at most 100) gives exactly that id, as SNS's PublishResult documents.
 * Run: make fuzz-sns-response FUZZ_SECONDS=60 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sns.h"
#include "aws/sns_internal.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_escapes.h"

/* The plain id in the body's first <MessageId>...</MessageId>, or NULL. */
static char *plain_message_id(const char *body, size_t len)
{
    const char *s = memmem(body, len, "<MessageId>", 11);
    if (s == NULL)
        return NULL;
    s += 11;
    const char *e = memmem(s, len - (size_t)(s - body), "</MessageId>", 12);
    if (e == NULL || e == s || e - s > 100)
        return NULL;
    for (const char *p = s; p < e; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-'))
            return NULL;
    return strndup(s, (size_t)(e - s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char key[48], token[48];
    if (fuzz_draw_secrets(&data, &size, 1, key, token) != 0) /* a client needs a secret key */
        return 0;
    const char *body = (const char *)data;
    size_t len = size;

    if (len == 0) { /* nothing to read: fields untouched, as documented by the callers */
        sns_result r0;
        if (sns_parse_response(body, len, &r0) != -1)
            fuzz_fail("an empty body", "-1", NULL, 0);
        return 0;
    }
    sns_config cfg;
    sns_config_defaults(&cfg);
    cfg.region = "us-east-1";
    cfg.endpoint = "http://127.0.0.1:9911";
    cfg.access_key_id = "AKIDEXAMPLE";
    cfg.secret_access_key = key;
    cfg.session_token = token;
    char err[256];
    sns_client *c = sns_client_new(&cfg, err, sizeof err);
    if (c == NULL)
        fuzz_fail("sns_client_new", "a client", err, strlen(err));

    sns_result r;
    memset(&r, 0x55, sizeof r); /* every field must be written */
    int rc = sns_parse_response_for(c, body, len, &r);
    const char *secrets[] = {key, token};
    fuzz_check_peer_field("MessageId", r.message_id, sizeof r.message_id, secrets);
    fuzz_check_peer_field("RequestId", r.request_id, sizeof r.request_id, secrets);
    if (rc != 0 && rc != -1)
        fuzz_fail("result", "0 or -1", NULL, 0);
    if (r.message_id[0] == '\0') { /* then Code was read, and Message when there is a Code */
        fuzz_check_peer_field("Code", r.error_code, sizeof r.error_code, secrets);
        if (r.error_code[0] != '\0')
            fuzz_check_peer_field("Message", r.error_message, sizeof r.error_message, secrets);
        else if (rc == 0)
            fuzz_fail("a 0 result", "a MessageId or a Code", NULL, 0);
    }
    char *id = plain_message_id(body, len);
    if (id != NULL) {
        /* A secret piece in it is redacted, so compare only clean ids. */
        if (strstr(r.message_id, SCRUB_MARK) == NULL && (rc != 0 || strcmp(id, r.message_id) != 0))
            fuzz_fail("MessageId", id, r.message_id, strlen(r.message_id));
        free(id);
    }
    sns_client_free(c);
    return 0;
}
