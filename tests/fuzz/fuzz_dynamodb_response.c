/* fuzz_dynamodb_response.c: libFuzzer target for the DynamoDB answer reader
 * (ddb_parse_answer in aws/dynamodb.c).  The input chooses the HTTP status,
 * the secret key and session token (base64 alphabet), then the body.  For
 * every input:
 *   - the result is 0 exactly when the status is 2xx and the body is a JSON
 *     object (then the answer is that object), else -1 with no answer;
 *   - on -1, Code and Message are NUL-terminated within their fields,
 *     printable ASCII, and hold no piece of either secret, as written or
 *     unescaped (tests/fuzz/fuzz_escapes.h), and Code is never empty; or
 *     Code is HttpError and Message our fixed text (nothing of the peer's).
 * Run: make fuzz-dynamodb-response FUZZ_SECONDS=60 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/dynamodb.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_escapes.h"

static const long statuses[] = {200, 201, 299, 400, 403, 413, 429, 500, 503, 302};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char key[48], token[48];
    if (size < 1)
        return 0;
    long status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
    data++, size--;
    if (fuzz_draw_secrets(&data, &size, 1, key, token) != 0)
        return 0;
    const char *body = (const char *)data;
    size_t len = size;
    const char *secrets[] = {key, token};

    cJSON *answer = (cJSON *)1;
    ddb_result r;
    memset(&r, 0x55, sizeof r);
    int rc = ddb_parse_answer(body, len, status, secrets, 2, &answer, &r);
    cJSON *direct = len > 0 ? cJSON_ParseWithLength(body, len) : NULL;
    int want_ok = status >= 200 && status < 300 && cJSON_IsObject(direct);
    cJSON_Delete(direct);
    if (want_ok) {
        if (rc != 0 || !cJSON_IsObject(answer))
            fuzz_fail("a 2xx JSON object", "result 0 with the object", NULL, 0);
        cJSON_Delete(answer);
        return 0;
    }
    if (rc != -1 || answer != NULL)
        fuzz_fail("an error answer", "result -1 and no answer", NULL, 0);
    if (strcmp(r.error_code, "HttpError") == 0) {
        /* our own words, nothing of the peer's: exactly the fixed text */
        char want[128];
        snprintf(want, sizeof want, "HTTP %ld without %s in the body", status,
                 status >= 200 && status < 300 ? "a JSON object" : "a DynamoDB error");
        if (strcmp(r.error_message, want) != 0)
            fuzz_fail("HttpError message", want, r.error_message, strnlen(r.error_message, 384));
        return 0;
    }
    fuzz_check_peer_field("Code", r.error_code, sizeof r.error_code, secrets);
    fuzz_check_peer_field("Message", r.error_message, sizeof r.error_message, secrets);
    if (r.error_code[0] == '\0')
        fuzz_fail("Code", "not empty", NULL, 0);
    return 0;
}
