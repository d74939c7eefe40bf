/* test_scrub.c: aws/scrub on text a hostile endpoint could send back.  The
 * escaped forms of the secrets are written out by hand (RFC 3986 percent
 * encoding, XML character references, JSON \u escapes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "aws/scrub.h"

#define SECRET "irisFAKEsecret/LongTerm+Key0123456789NEVERLOG"
#define TOKEN "irisFAKEsessionTOKEN//AQoDYXdzEPT+NEVERLOG/zz=="

static const char *const secrets[] = {SECRET, TOKEN};

/* Any SCRUB_MIN_PIECE-character piece of a secret in text. */
static int leaks(const char *text)
{
    for (size_t s = 0; s < 2; s++)
        for (size_t i = 0; i + SCRUB_MIN_PIECE <= strlen(secrets[s]); i++)
            if (memmem(text, strlen(text), secrets[s] + i, SCRUB_MIN_PIECE) != NULL)
                return 1;
    return 0;
}

static void scrub(const char *in, char *out, size_t cap)
{
    scrub_peer_text(out, cap, in, strlen(in), secrets, 2);
}

static void test_secrets_in_every_form_are_redacted(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } t[] = {
        {"token " TOKEN " echoed", "token [redacted] echoed"},
        {"key=" SECRET, "key=[redacted]"},
        /* percent-encoded, upper and lower case hex */
        {"irisFAKEsecret%2FLongTerm%2BKey0123456789NEVERLOG!", "[redacted]!"},
        {"irisFAKEsessionTOKEN%2f%2fAQoDYXdzEPT%2bNEVERLOG%2fzz%3d%3d", "[redacted]"},
        /* double percent-encoding */
        {"x irisFAKEsecret%252FLongTerm%252BKey0123456789NEVERLOG", "x [redacted]"},
        /* XML numeric references and entities */
        {"irisFAKEsecret&#47;LongTerm&#x2B;Key0123456789NEVERLOG.", "[redacted]."},
        {"irisFAKEsecret&amp;#47;LongTerm", "[redacted]"},
        /* JSON escapes */
        {"\"irisFAKEsecret\\/LongTerm\\u002bKey0123456789NEVERLOG\"", "\"[redacted]\""},
        /* pieces: a prefix, a middle, a suffix cut by truncation upstream */
        {"Code: irisFAKEses", "Code: [redacted]"},
        {"...0123456789NEV...", "...[redacted]..."},
        {"tail ==NEVERLOG/zz==", "tail ==[redacted]"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char out[256];
        scrub(t[i].in, out, sizeof out);
        if (strcmp(out, t[i].want) != 0)
            print_error("case %zu: %s\n  expected %s\n       got %s\n", i, t[i].in, t[i].want, out);
        assert_string_equal(out, t[i].want);
        assert_false(leaks(out));
    }
}

static void test_only_printable_ascii_survives(void **state)
{
    (void)state;
    char out[64];
    scrub("a\tb\r\nc\x01"
          "d\x7f"
          "caf\xc3\xa9",
          out, sizeof out);
    assert_string_equal(out, "a b  c?d?caf??");
}

static void test_result_is_bounded_and_terminated(void **state)
{
    (void)state;
    char in[20000];
    memset(in, 'x', sizeof in - 1);
    in[sizeof in - 1] = '\0';
    char out[64];
    memset(out, '#', sizeof out);
    scrub(in, out, sizeof out);
    assert_int_equal(strlen(out), 63);
    char tiny[5];
    scrub("[" TOKEN "]", tiny, sizeof tiny);
    assert_string_equal(tiny, "["); /* the mark does not fit: cut, never partial secret */
}

static void test_ordinary_text_is_untouched(void **state)
{
    (void)state;
    static const char msg[] =
        "Invalid parameter: TopicArn Reason: no value for required parameter (RequestId "
        "d74b8436-ae13-5ab4-a9ff-ce54dfea72a0) 50% & <x>";
    char out[256];
    scrub(msg, out, sizeof out);
    assert_string_equal(out, msg);
    scrub_peer_text(out, sizeof out, "Rate exceeded", 13, NULL, 0);
    assert_string_equal(out, "Rate exceeded");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secrets_in_every_form_are_redacted),
        cmocka_unit_test(test_only_printable_ascii_survives),
        cmocka_unit_test(test_result_is_bounded_and_terminated),
        cmocka_unit_test(test_ordinary_text_is_untouched),
    };
    return cmocka_run_group_tests_name("scrub", tests, NULL, NULL);
}
