/* Unit tests for common/secrets: secrets are known by what they are (a
 * secret property's value, a URL's userinfo) and masked whatever their
 * characters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/secrets.h"

static void knows_secret_keys(void **state)
{
    (void)state;
    const char *secret[] = {"sasl.password",
                            "ssl.key.password",
                            "sasl.oauthbearer.client.secret",
                            "sasl.jaas.config",
                            "basic.auth.user.info",
                            "schema.registry.basic.auth.user.info",
                            "ssl.keystore.password",
                            "sasl.mechanisms",
                            "sasl.username",
                            "sasl.oauthbearer.config",
                            "sasl.kerberos.keytab",
                            "ssl.key.location",
                            "ssl.key.pem",
                            "ssl_key",
                            "SASL.PASSWORD",
                            "my.Api.Key",
                            "bearer.auth.token",
                            "client.credentials"};
    const char *plain[] = {"bootstrap.servers",
                           "security.protocol",
                           "acks",
                           "client.id",
                           "message.timeout.ms",
                           "schema.registry.url",
                           "basic.auth.credentials.source"};
    for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
        if (!secrets_key_is_secret(secret[i]))
            fail_msg("%s should be secret", secret[i]);
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        if (secrets_key_is_secret(plain[i]))
            fail_msg("%s should not be secret", plain[i]);
}

struct collected {
    char parts[16][80];
    size_t n;
};

static void collect(const char *s, size_t len, void *ctx)
{
    struct collected *c = ctx;
    assert_true(c->n < 16 && len < 80);
    memcpy(c->parts[c->n], s, len);
    c->parts[c->n++][len] = '\0';
}

static void expect_parts(const char *key, const char *value, const char *const *want, size_t n)
{
    struct collected c = {0};
    secrets_property_parts(key, value, collect, &c);
    if (c.n != n)
        fail_msg("%s=%s: expected %zu secret parts, got %zu", key, value, n, c.n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(c.parts[i], want[i]) != 0)
            fail_msg("%s=%s: part %zu: expected '%s', got '%s'", key, value, i, want[i],
                     c.parts[i]);
}

static void parts_cover_values_tokens_and_url_userinfo(void **state)
{
    (void)state;
    const char *mech[] = {"PLAIN,SCRAM-SHA-256", "PLAIN", "SCRAM-SHA-256"};
    expect_parts("sasl.mechanisms", "PLAIN,SCRAM-SHA-256", mech, 3);
    const char *jaas[] = {"username='al' password='pw9'", "pw9"};
    expect_parts("sasl.jaas.config", "username='al' password='pw9'", jaas, 2);
    const char *userinfo[] = {"user:s3cr3t", "s3cr3t", "bob:pw", "pw"};
    expect_parts("bootstrap.servers", "user:s3cr3t@h1:9092, sasl_ssl://bob:pw@h2:9093", userinfo,
                 4);
    const char *token_only[] = {"tok@en"};
    expect_parts("bootstrap.servers", "tok@en@host:9092", token_only, 1);
    expect_parts("bootstrap.servers", "h1:9092,h2:9092", NULL, 0);
    expect_parts("acks", "all", NULL, 0);
    expect_parts("sasl.password", "", NULL, 0);
}

/* Confluent Cloud API secrets are base64 ('+' and '/'): a '/' in the
 * userinfo is still userinfo, however a URL parser would read it. */
static void userinfo_with_base64_secrets(void **state)
{
    (void)state;
    const char *plain[] = {"KEY:ab+c/d9/Q+", "ab+c/d9/Q+"};
    expect_parts("bootstrap.servers", "KEY:ab+c/d9/Q+@pkc-1.example:9092", plain, 2);
    const char *url[] = {"KEY:/x+y/z", "/x+y/z"};
    expect_parts("schema.registry.url", "https://KEY:/x+y/z@psrc-1.example", url, 2);
    const char *user_info[] = {"KEY:0a/B+c", "0a/B+c"};
    expect_parts("basic.auth.user.info", "KEY:0a/B+c", user_info, 2);
}

static char *redact(const struct secrets *s, const char *text)
{
    char *out = secrets_redact(s, text);
    assert_non_null(out);
    return out;
}

static void redact_masks_longest_first_and_cut_prefixes(void **state)
{
    (void)state;
    struct secrets *s = secrets_new();
    assert_int_equal(secrets_add(s, "hunter2", 7), 0);
    assert_int_equal(secrets_add(s, "hunter2-long", 12), 0); /* the longer match wins */
    assert_int_equal(secrets_add(s, "", 0), 0); /* ignored, or everything would be masked */
    const struct {
        const char *in, *want;
    } cases[] = {
        {"Invalid value \"hunter2\" and hunter2-long, hunter2!",
         "Invalid value \"***\" and ***, ***!"},
        {"nothing to hide", "nothing to hide"},
        {"a message cut after hunt", "a message cut after ***"},
        {"too short to tell: hun", "too short to tell: hun"},
        {"[thrd:sasl_ssl://hunter2-lo]: cut in the middle",
         "[thrd:sasl_ssl://***]: cut in the middle"},
        {"hunter3 and hunter2-lo", "hunter3 and ***"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = redact(s, cases[i].in);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("redact(\"%s\"): expected \"%s\", got \"%s\"", cases[i].in, cases[i].want,
                     got);
        free(got);
    }
    secrets_free(s);
    char *got = redact(NULL, "hunter2"); /* no set: nothing to mask */
    assert_string_equal(got, "hunter2");
    free(got);
    secrets_free(NULL);
}

static void redact_masks_a_property_wherever_it_appears(void **state)
{
    (void)state;
    struct secrets *s = secrets_new();
    const char *secret = "Zx9+Qw/7Lm+Tb2/Vc4Rk8Yp1Hn6Sd3Fg5Jj0Ku+Xe/Ao9Wq2Ly7Mr4Nt1Bp8Cv3Ds6";
    char value[128], line[512];
    snprintf(value, sizeof(value), "KEY:%s@b-1.example:9092", secret);
    assert_int_equal(secrets_add_property(s, "bootstrap.servers", value), 0);
    snprintf(line, sizeof(line),
             "KEY:%s@b-1.example:9092:9092/bootstrap: Failed to resolve 'KEY:%s@b-1.example:"
             "9092:9092'",
             secret, secret);
    char *got = redact(s, line);
    assert_null(strstr(got, secret));
    assert_string_equal(got, "***@b-1.example:9092:9092/bootstrap: Failed to resolve "
                             "'***@b-1.example:9092:9092'");
    free(got);
    secrets_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(knows_secret_keys),
        cmocka_unit_test(parts_cover_values_tokens_and_url_userinfo),
        cmocka_unit_test(userinfo_with_base64_secrets),
        cmocka_unit_test(redact_masks_longest_first_and_cut_prefixes),
        cmocka_unit_test(redact_masks_a_property_wherever_it_appears),
    };
    return cmocka_run_group_tests_name("secrets", tests, NULL, NULL);
}
