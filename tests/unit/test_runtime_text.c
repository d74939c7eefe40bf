/* test_runtime_text.c: UTF-8 checks, printable excerpts and JSON strings
 * that stay valid UTF-8 whatever a peer sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "runtime/runtime_text.h"

static size_t seq(const char *s)
{
    return utf8_seq_len((const unsigned char *)s, strlen(s));
}

static void utf8_sequences_follow_rfc_3629(void **state)
{
    (void)state;
    assert_int_equal(seq("a"), 1);
    assert_int_equal(seq("\xC3\xA9"), 2);         /* U+00E9 */
    assert_int_equal(seq("\xE2\x82\xAC"), 3);     /* U+20AC */
    assert_int_equal(seq("\xF0\x9F\x98\x80"), 4); /* U+1F600 */
    assert_int_equal(seq("\xC0\xAF"), 0);         /* overlong '/' */
    assert_int_equal(seq("\xE0\x80\xAF"), 0);     /* overlong '/' */
    assert_int_equal(seq("\xED\xA0\x80"), 0);     /* surrogate U+D800 */
    assert_int_equal(seq("\xF4\x90\x80\x80"), 0); /* above U+10FFFF */
    assert_int_equal(seq("\x80"), 0);             /* lone continuation */
    assert_int_equal(seq("\xE2\x82"), 0);         /* cut short */
}

static void printable_escapes_and_cuts(void **state)
{
    (void)state;
    char out[64];
    runtime_text_printable("ab\\c\x01\xFF", 6, 100, out, sizeof out);
    assert_string_equal(out, "ab\\x5Cc\\x01\\xFF");
    runtime_text_printable("abcdef", 6, 3, out, sizeof out);
    assert_string_equal(out, "abc...");
    runtime_text_printable("abcdef", 6, 100, out, 4);
    assert_string_equal(out, "abc");
}

static void json_strings_replace_invalid_utf8_and_escape_controls(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    assert_int_equal(runtime_text_json(&b, "a\"\\\n\x01 caf\xC3\xA9 \xFF\xC0\xAF end"), 0);
    assert_string_equal(b.data, "\"a\\\"\\\\\\u000a\\u0001 caf\xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD"
                                "\xEF\xBF\xBD end\"");
    buf_free(&b);
}

static void header_values_are_printable_and_bounded(void **state)
{
    (void)state;
    char *v = runtime_text_header_value("Type\r\nX-Injected: 1", 100);
    assert_string_equal(v, "Type??X-Injected: 1");
    free(v);
    v = runtime_text_header_value("abcdef", 3);
    assert_string_equal(v, "abc");
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utf8_sequences_follow_rfc_3629),
        cmocka_unit_test(printable_escapes_and_cuts),
        cmocka_unit_test(json_strings_replace_invalid_utf8_and_escape_controls),
        cmocka_unit_test(header_values_are_printable_and_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
