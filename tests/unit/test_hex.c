/* test_hex.c: the one hexadecimal digit reader (common/hex.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "common/hex.h"

static void every_digit_has_its_value_in_either_case(void **state)
{
    (void)state;
    static const struct {
        char c;
        int value;
    } digits[] = {{'0', 0},  {'1', 1},  {'5', 5},  {'9', 9},  {'a', 10}, {'b', 11},
                  {'c', 12}, {'d', 13}, {'e', 14}, {'f', 15}, {'A', 10}, {'B', 11},
                  {'C', 12}, {'D', 13}, {'E', 14}, {'F', 15}};
    for (size_t i = 0; i < sizeof digits / sizeof digits[0]; i++)
        if (hex_digit(digits[i].c) != digits[i].value)
            fail_msg("'%c': expected %d, got %d", digits[i].c, digits[i].value,
                     hex_digit(digits[i].c));
}

/* The neighbours of each range, the letters past f, NUL, EOF and bytes above
 * 0x7F passed as a (signed) char. */
static void anything_else_is_not_a_digit(void **state)
{
    (void)state;
    static const int others[] = {'/', ':', '@', 'G', '`', 'g', 'x', 'X', ' ', '\0', -1, 0x7F};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (hex_digit(others[i]) != -1)
            fail_msg("%d: expected -1 (not a digit), got %d", others[i], hex_digit(others[i]));
    for (int b = 0x80; b <= 0xFF; b++) {
        char c = (char)b;
        if (hex_digit(c) != -1 || hex_digit(b) != -1)
            fail_msg("byte 0x%02X: expected -1 (not a digit), got %d as char and %d as int", b,
                     hex_digit(c), hex_digit(b));
    }
}

/* Every one of the 256 bytes: exactly 22 are digits (10 + 6 + 6). */
static void exactly_twenty_two_bytes_are_digits(void **state)
{
    (void)state;
    int n = 0;
    for (int b = 0; b < 256; b++)
        n += hex_digit(b) >= 0;
    if (n != 22)
        fail_msg("expected 22 hex digits among the 256 bytes, got %d", n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_digit_has_its_value_in_either_case),
        cmocka_unit_test(anything_else_is_not_a_digit),
        cmocka_unit_test(exactly_twenty_two_bytes_are_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
