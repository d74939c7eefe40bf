/* test_opts.c: the command-line numbers (common/opts.h) that build/producer,
 * build/train and the connector stand-in read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>

#include "common/opts.h"

static void whole_numbers_in_range_are_read(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        unsigned long long lo, hi, want;
    } ok[] = {
        {"0", 0, 10, 0},
        {"10", 0, 10, 10},
        {"007", 1, 100, 7},
        {" 5", 1, 5, 5}, /* leading white space, as strtoull */
        {"9007199254740991", 0, 9007199254740991ULL, 9007199254740991ULL},
        {"18446744073709551615", 0, ULLONG_MAX, ULLONG_MAX},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        unsigned long long got = 12345;
        int rc = opts_whole_number(ok[i].text, ok[i].lo, ok[i].hi, &got);
        if (rc != 0 || got != ok[i].want)
            fail_msg("\"%s\" in [%llu, %llu]: expected 0 and %llu, got %d and %llu", ok[i].text,
                     ok[i].lo, ok[i].hi, ok[i].want, rc, got);
    }
}

/* Out of range, signs (strtoull reads "-1" as 2^64 - 1), anything after the
 * digits, nothing at all, and a number past 2^64 - 1. */
static void anything_else_is_refused_and_out_is_untouched(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        unsigned long long lo, hi;
    } bad[] = {
        {"11", 0, 10},         {"0", 1, 10},
        {"-1", 0, ULLONG_MAX}, {" -1", 0, ULLONG_MAX},
        {"-0", 0, 10},         {"+5", 0, 10},
        {"5 ", 0, 10},         {"5x", 0, 10},
        {"1.0", 0, 10},        {"1e3", 0, 10000},
        {"0x10", 0, 100},      {"", 0, 10},
        {" ", 0, 10},          {"18446744073709551616", 0, ULLONG_MAX},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned long long got = 12345;
        int rc = opts_whole_number(bad[i].text, bad[i].lo, bad[i].hi, &got);
        if (rc != -1 || got != 12345)
            fail_msg(
                "\"%s\" in [%llu, %llu]: expected -1 with the output untouched, got %d and %llu",
                bad[i].text, bad[i].lo, bad[i].hi, rc, got);
    }
}

static void numbers_in_range_are_read(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double lo, hi, want;
    } ok[] = {
        {"0", 0, 86400, 0},    {"2.5", 0, 86400, 2.5},   {"86400", 0, 86400, 86400},
        {"1e3", 0, 1e9, 1000}, {"0.001", 0, 1e9, 0.001}, {"-1.5", -2, 0, -1.5},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double got = -99;
        int rc = opts_number(ok[i].text, ok[i].lo, ok[i].hi, &got);
        if (rc != 0 || got != ok[i].want)
            fail_msg("\"%s\" in [%g, %g]: expected 0 and %g, got %d and %g", ok[i].text, ok[i].lo,
                     ok[i].hi, ok[i].want, rc, got);
    }
}

/* Past either bound, not finite, out of double's range, trailing text, empty. */
static void other_numbers_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {"86400.5", "-0.1", "inf", "nan", "1e999",
                                      "1e-999",  "5s",   "",    " ",   "1,5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double got = -99;
        int rc = opts_number(bad[i], 0, 86400, &got);
        if (rc != -1 || got != -99)
            fail_msg("\"%s\" in [0, 86400]: expected -1 with the output untouched, got %d and %g",
                     bad[i], rc, got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_numbers_in_range_are_read),
        cmocka_unit_test(anything_else_is_refused_and_out_is_untouched),
        cmocka_unit_test(numbers_in_range_are_read),
        cmocka_unit_test(other_numbers_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
