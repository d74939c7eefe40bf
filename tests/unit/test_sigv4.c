/* test_sigv4.c: aws/sigv4 (the signer build/bootstrap uses for SNS)
 * against the AWS Signature Version 4 test suite, one test per case found
 * under $SIGV4_SUITE_DIR (default tests/data/sigv4, the AWS suite copied into the repository): the canonical
 * request, the string to sign and the Authorization header must equal the
 * suite's .creq, .sts and .authz byte for byte.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "tests/lib/testfile.h"
#include "common/buf.h"
#include "aws/sigv4.h"

#define SUITE_DEFAULT "tests/data/sigv4"
#define MAX_CASES 64
#define SUITE_KEY_ID "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

/* Cases that must be present: the vanilla GET and POST, the form-encoded POST
 * and a session token added after signing. */
static const char *const required_cases[] = {"get-vanilla", "post-vanilla",
                                             "post-x-www-form-urlencoded", "post-sts-header-after"};

typedef struct suite_case {
    char name[256];
    char dir[2048]; /* folder holding <name>.req etc. */
} suite_case;

static suite_case cases[MAX_CASES];
static size_t ncases;
static char session_token[1024];

static const char *suite_dir(void)
{
    const char *d = getenv("SIGV4_SUITE_DIR");
    return d != NULL && *d != '\0' ? d : SUITE_DEFAULT;
}

static char *case_file(const suite_case *c, const char *ext, size_t *len)
{
    char path[2400];
    snprintf(path, sizeof path, "%s/%s.%s", c->dir, c->name, ext);
    return testfile_read(path, len);
}

/* Finds every folder <dir>/<name> holding <name>.req, recursively. */
static void collect(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && ncases < MAX_CASES) {
        if (de->d_name[0] == '.')
            continue;
        char sub[2048], req[2400];
        struct stat st;
        snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name);
        if (stat(sub, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        snprintf(req, sizeof req, "%s/%s.req", sub, de->d_name);
        if (stat(req, &st) == 0) {
            snprintf(cases[ncases].name, sizeof cases[ncases].name, "%s", de->d_name);
            snprintf(cases[ncases].dir, sizeof cases[ncases].dir, "%s", sub);
            ncases++;
        }
        collect(sub);
    }
    closedir(d);
}

/* The token the suite's STS cases use, from post-sts-token/readme.txt. */
static void load_session_token(void)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/post-sts-token/readme.txt", suite_dir());
    char *text = testfile_read(path, NULL);
    if (text == NULL)
        return;
    const char *marker = "X-Amz-Security-Token:";
    char *p = strstr(text, marker);
    if (p != NULL) {
        p += strlen(marker);
        p += strspn(p, " \r\n");
        size_t n = strcspn(p, " \r\n");
        snprintf(session_token, sizeof session_token, "%.*s", (int)n, p);
    }
    free(text);
}

typedef struct parsed_req {
    char *method, *path, *query;
    sigv4_header headers[32];
    size_t nheaders;
    const char *body;
    size_t body_len;
    char *text; /* owns the strings above */
} parsed_req;

/* A .req file: request line, Name:value headers (a line starting with
 * whitespace continues the previous header and is signed as one more value
 * of it), a blank line, the body. */
static int parse_req(char *text, size_t len, parsed_req *r)
{
    memset(r, 0, sizeof *r);
    r->text = text;
    char *end = text + len;
    char *line = text;
    char *nl = memchr(line, '\n', (size_t)(end - line));
    if (nl == NULL)
        nl = end;
    *nl = '\0';
    char *sp1 = strchr(line, ' ');
    char *sp2 = strrchr(line, ' ');
    if (sp1 == NULL || sp2 == NULL || sp1 == sp2)
        return -1;
    *sp1 = '\0';
    *sp2 = '\0';
    r->method = line;
    r->path = sp1 + 1;
    char *q = strchr(r->path, '?');
    if (q != NULL) {
        *q = '\0';
        r->query = q + 1;
    }
    char *p = nl < end ? nl + 1 : end;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl ? nl : end;
        if (eol == p) { /* blank line: the body follows */
            r->body = eol + 1 <= end ? eol + 1 : end;
            r->body_len = (size_t)(end - r->body);
            return 0;
        }
        *eol = '\0';
        if ((*p == ' ' || *p == '\t') && r->nheaders > 0) {
            r->headers[r->nheaders].name = r->headers[r->nheaders - 1].name;
            r->headers[r->nheaders++].value = p + strspn(p, " \t");
        } else {
            char *colon = strchr(p, ':');
            if (colon == NULL || r->nheaders >= 31)
                return -1;
            *colon = '\0';
            r->headers[r->nheaders].name = p;
            r->headers[r->nheaders++].value = colon + 1;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

static void expect_text(const char *what, const char *case_name, const char *expected,
                        const char *got)
{
    if (expected == NULL || got == NULL || strcmp(expected, got) != 0) {
        print_error("%s: %s differs\n--- expected\n%s\n--- got\n%s\n", case_name, what,
                    expected ? expected : "(missing file)", got ? got : "(nothing)");
        fail();
    }
}

static void test_suite_case(void **state)
{
    const suite_case *c = *state;
    size_t len = 0;
    char *req_text = case_file(c, "req", &len);
    char *creq = case_file(c, "creq", NULL);
    char *sts = case_file(c, "sts", NULL);
    char *authz = case_file(c, "authz", NULL);
    assert_non_null(req_text);
    parsed_req r;
    assert_int_equal(parse_req(req_text, len, &r), 0);

    /* STS cases: post-sts-header-after adds the token after signing;
     * post-sts-header-before signs it. */
    int sts_case = strstr(c->dir, "post-sts-token") != NULL;
    enum sigv4_token_mode mode =
        strstr(c->name, "after") != NULL ? SIGV4_TOKEN_UNSIGNED : SIGV4_TOKEN_SIGNED;
    if (sts_case)
        assert_true(session_token[0] != '\0');
    sigv4_credentials creds = {SUITE_KEY_ID, SUITE_SECRET, sts_case ? session_token : NULL};
    sigv4_request sr = {r.method, r.path, r.query, r.headers, r.nheaders, r.body, r.body_len};
    buf got_creq = BUF_INIT, got_sts = BUF_INIT;
    sigv4_debug dbg = {&got_creq, &got_sts};
    sigv4_signature sig;
    int rc = sigv4_sign(&sr, &creds, "us-east-1", "service", 0, mode, &sig, &dbg);
    if (rc != SIGV4_OK)
        print_error("%s: sigv4_sign returned %d (%s)\n", c->name, rc, sigv4_strerror(rc));
    assert_int_equal(rc, SIGV4_OK);
    expect_text("canonical request", c->name, creq, got_creq.data);
    expect_text("string to sign", c->name, sts, got_sts.data);
    expect_text("Authorization", c->name, authz, sig.authorization);
    assert_string_equal(sig.amz_date, "20150830T123600Z");

    buf_free(&got_creq);
    buf_free(&got_sts);
    free(authz);
    free(sts);
    free(creq);
    free(req_text);
}

static void test_suite_has_required_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof required_cases / sizeof required_cases[0]; i++) {
        int found = 0;
        for (size_t k = 0; k < ncases; k++)
            found |= strcmp(cases[k].name, required_cases[i]) == 0;
        if (!found)
            print_error("case %s not found under %s (set SIGV4_SUITE_DIR)\n", required_cases[i],
                        suite_dir());
        assert_true(found);
    }
}

/* A signed token changes the signature and joins SignedHeaders. */
static void test_signed_token_is_a_signed_header(void **state)
{
    (void)state;
    sigv4_header h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
    sigv4_request r = {"POST", "/", NULL, h, 2, NULL, 0};
    sigv4_credentials creds = {SUITE_KEY_ID, SUITE_SECRET, "token-value"};
    sigv4_signature s_signed, s_unsigned;
    assert_int_equal(
        sigv4_sign(&r, &creds, "us-east-1", "service", 0, SIGV4_TOKEN_SIGNED, &s_signed, NULL),
        SIGV4_OK);
    assert_int_equal(
        sigv4_sign(&r, &creds, "us-east-1", "service", 0, SIGV4_TOKEN_UNSIGNED, &s_unsigned, NULL),
        SIGV4_OK);
    assert_non_null(
        strstr(s_signed.authorization, "SignedHeaders=host;x-amz-date;x-amz-security-token,"));
    assert_non_null(strstr(s_unsigned.authorization, "SignedHeaders=host;x-amz-date,"));
    assert_string_not_equal(s_signed.authorization, s_unsigned.authorization);
}

/* A request that already carries X-Amz-Security-Token (once or twice, any
 * case) or Authorization: the signature replaces them, as botocore's SigV4Auth
 * does, so one token is signed and sent, never "token,token".  Expected values
 * from botocore (tests/integration/sigv4_vectors.py). */
static void test_replaced_headers_match_botocore(void **state)
{
    (void)state;
    static const char replaced[] =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date;x-amz-security-token, "
        "Signature=ed387109c783056a48a1e58a3c6c8525fcd757597e194e973815d9d13c410569";
    static const char kept[] =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date;x-amz-security-token, "
        "Signature=374d898fda395d5d198813c5835d2a9f2b8078a12291c68779b9464071abfd96";
    static const struct {
        const char *name;
        sigv4_header extra[2];
        size_t nextra;
        const char *token;
        enum sigv4_token_mode mode;
        const char *want;
    } t[] = {
        {"stale token replaced", {{"X-Amz-Security-Token", "stale-token-from-request"}}, 1,
         "token-value", SIGV4_TOKEN_SIGNED, replaced},
        {"old Authorization and stale token replaced",
         {{"Authorization", "AWS4-HMAC-SHA256 old"},
          {"x-amz-security-token", "stale-token-from-request"}},
         2, "token-value", SIGV4_TOKEN_SIGNED, replaced},
        {"two stale tokens replaced",
         {{"X-Amz-Security-Token", "stale-1"}, {"X-AMZ-SECURITY-TOKEN", "stale-2"}}, 2,
         "token-value", SIGV4_TOKEN_SIGNED, replaced},
        {"no session token: the request's token signed as it is",
         {{"X-Amz-Security-Token", "request-token"}}, 1, NULL, SIGV4_TOKEN_SIGNED, kept},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        sigv4_header h[4] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
        for (size_t k = 0; k < t[i].nextra; k++)
            h[2 + k] = t[i].extra[k];
        sigv4_request r = {"GET", "/", NULL, h, 2 + t[i].nextra, NULL, 0};
        sigv4_credentials creds = {SUITE_KEY_ID, SUITE_SECRET, t[i].token};
        sigv4_signature s;
        assert_int_equal(sigv4_sign(&r, &creds, "us-east-1", "service", 0, t[i].mode, &s, NULL),
                         SIGV4_OK);
        if (strcmp(s.authorization, t[i].want) != 0)
            print_error("%s: expected %s\n  got %s\n", t[i].name, t[i].want, s.authorization);
        assert_string_equal(s.authorization, t[i].want);
        for (size_t k = 0; k < t[i].nextra; k++)
            assert_int_equal(sigv4_header_replaced(&creds, t[i].extra[k].name), t[i].token != NULL);
    }
    sigv4_credentials none = {SUITE_KEY_ID, SUITE_SECRET, ""};
    assert_int_equal(sigv4_header_replaced(&none, "X-Amz-Security-Token"), 0);
    assert_int_equal(sigv4_header_replaced(&none, "authorization"), 1);
    assert_int_equal(sigv4_header_replaced(&none, "Host"), 0);
    assert_int_equal(sigv4_header_replaced(NULL, "Authorization"), 1);
}

/* Without an X-Amz-Date header the given clock is used and x-amz-date signed. */
static void test_time_argument_sets_amz_date(void **state)
{
    (void)state;
    sigv4_header h[] = {{"Host", "example.amazonaws.com"}};
    sigv4_request r = {"GET", "/", NULL, h, 1, NULL, 0};
    sigv4_credentials creds = {SUITE_KEY_ID, SUITE_SECRET, NULL};
    sigv4_signature s;
    buf creq = BUF_INIT;
    sigv4_debug dbg = {&creq, NULL};
    /* 2015-08-30 12:36:00 UTC */
    assert_int_equal(sigv4_sign(&r, &creds, "us-east-1", "service", (time_t)1440938160,
                                SIGV4_TOKEN_SIGNED, &s, &dbg),
                     SIGV4_OK);
    assert_string_equal(s.amz_date, "20150830T123600Z");
    /* Same canonical request as get-vanilla, hence the same signature. */
    assert_string_equal(
        s.authorization,
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
        "aws4_request, SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    buf_free(&creq);
}

static void test_rejects_missing_host_and_bad_date(void **state)
{
    (void)state;
    sigv4_credentials creds = {SUITE_KEY_ID, SUITE_SECRET, NULL};
    sigv4_signature s;
    sigv4_header no_host[] = {{"X-Amz-Date", "20150830T123600Z"}};
    sigv4_request r1 = {"GET", "/", NULL, no_host, 1, NULL, 0};
    assert_int_equal(sigv4_sign(&r1, &creds, "us-east-1", "service", 0, 0, &s, NULL),
                     SIGV4_ERR_INVALID);
    sigv4_header bad_date[] = {{"Host", "h"}, {"X-Amz-Date", "2015-08-30T12:36:00Z"}};
    sigv4_request r2 = {"GET", "/", NULL, bad_date, 2, NULL, 0};
    assert_int_equal(sigv4_sign(&r2, &creds, "us-east-1", "service", 0, 0, &s, NULL),
                     SIGV4_ERR_INVALID);
}

/* RFC 3986 unreserved characters stay, everything else is %XX upper-case. */
static void test_uri_encode_reserved_and_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int keep_slash;
        const char *want;
    } t[] = {
        {"AZaz09-._~", 0, "AZaz09-._~"},
        {"a b&c=d+e%f*g", 0, "a%20b%26c%3Dd%2Be%25f%2Ag"},
        {"caf\xc3\xa9\n\"'", 0, "caf%C3%A9%0A%22%27"},
        {"/a/b c/", 1, "/a/b%20c/"},
        {"/a/", 0, "%2Fa%2F"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        buf b = BUF_INIT;
        assert_int_equal(sigv4_uri_encode(&b, t[i].in, strlen(t[i].in), t[i].keep_slash), 0);
        if (strcmp(b.data, t[i].want) != 0)
            print_error("encode(%s): expected %s, got %s\n", t[i].in, t[i].want, b.data);
        assert_string_equal(b.data, t[i].want);
        buf_free(&b);
    }
}

int main(void)
{
    collect(suite_dir());
    load_session_token();
    struct CMUnitTest tests[MAX_CASES + 8];
    size_t n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_suite_has_required_cases);
    for (size_t i = 0; i < ncases; i++)
        tests[n++] = (struct CMUnitTest){cases[i].name, test_suite_case, NULL, NULL, &cases[i]};
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_signed_token_is_a_signed_header);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_replaced_headers_match_botocore);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_time_argument_sets_amz_date);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_rejects_missing_host_and_bad_date);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_uri_encode_reserved_and_utf8);
    return _cmocka_run_group_tests("sigv4", tests, n, NULL, NULL);
}
