/* test_buf.c: the growable buffer and JSON writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

static void appends_grow_and_stay_terminated(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    for (int i = 0; i < 10000; i++)
        assert_int_equal(buf_puts(&b, "abc"), 0);
    assert_int_equal(b.len, 30000);
    assert_int_equal(b.data[b.len], '\0');
    assert_memory_equal(b.data + 29997, "abc", 3);
    buf_free(&b);
}

/* A size known in advance takes exactly its room below a megabyte, and
 * whole 2 MiB pages from there (a 4.3 MB body takes 6 MiB, not the 8 MiB
 * of doubling); growing keeps the bytes, and an overflowing size fails the
 * buffer instead of wrapping. */
static void exact_reservation_takes_no_more_than_asked(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    assert_int_equal(buf_reserve_exact(&b, 300000), 0);
    assert_int_equal(b.cap, 300001);
    assert_int_equal(buf_append(&b, "ab", 2), 0);
    assert_int_equal(buf_reserve_exact(&b, 4337157), 0);
    assert_int_equal(b.cap, (size_t)6 << 20);
    assert_memory_equal(b.data, "ab", 2); /* small -> large keeps the bytes */
    assert_int_equal(buf_reserve_exact(&b, 100), 0);
    assert_int_equal(b.cap, (size_t)6 << 20); /* already room: nothing moves */
    memset(b.data + 2, 'x', b.cap - 3);       /* all of it is usable */
    b.len = b.cap - 1;
    assert_int_equal(buf_reserve(&b, 1), 0);
    assert_int_equal(b.cap, (size_t)12 << 20); /* doubling, in whole pages */
    assert_memory_equal(b.data, "abxxx", 5);
    assert_int_equal(b.data[((size_t)6 << 20) - 2], 'x');
    assert_int_equal(buf_reserve_exact(&b, SIZE_MAX - 1), -1);
    assert_true(b.failed);
    buf_free(&b);
}

static void detach_hands_over_storage(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    size_t len = 99;
    char *empty = buf_detach(&b, &len);
    assert_non_null(empty);
    assert_int_equal(len, 0);
    assert_string_equal(empty, "");
    free(empty);
    buf_printf(&b, "%d-%s", 42, "x");
    char *s = buf_detach(&b, &len);
    assert_string_equal(s, "42-x");
    assert_int_equal(len, 4);
    assert_null(b.data);
    free(s);
    /* A large buffer's storage is not malloc's: the caller still free()s
     * what it is handed. */
    for (int i = 0; i < 300000; i++)
        BUF_LIT(&b, "0123456789");
    s = buf_detach(&b, &len);
    assert_int_equal(len, 3000000);
    assert_memory_equal(s + len - 10, "0123456789", 10);
    assert_int_equal(s[len], '\0');
    free(s);
}

static void json_strings_are_escaped(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    const char in[] = "a\"b\\c\nd\te\x01 caf\xc3\xa9";
    buf_json_str(&b, in, sizeof in - 1);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\\te\\u0001 caf\xc3\xa9\"");
    buf_reset(&b);
    buf_json_cstr(&b, NULL);
    assert_string_equal(b.data, "null");
    buf_free(&b);
}

/* Every value printed must read back as exactly the same double, with no
 * float noise for the measurements of the iris data. */
static void doubles_are_shortest_round_trip(void **state)
{
    (void)state;
    struct {
        double v;
        const char *want;
    } cases[] = {{6.7, "6.7"},
                 {0.1, "0.1"},
                 {3.0, "3"},
                 {-2.5, "-2.5"},
                 {0, "0"},
                 {1e-7, "0.0000001"},
                 {123456.789, "123456.789"},
                 {0.3, "0.3"},
                 {1.0 / 3, "0.333333333333333"},
                 {1e300, "1e+300"},
                 {2.5, "2.5"},
                 {0.5, "0.5"},
                 {100, "100"},
                 {0.000000001, "0.000000001"},
                 {5e-10, "5e-10"},
                 {999999999.5, "999999999.5"},
                 {-0.0, "0"},
                 {5.1, "5.1"},
                 {0.35, "0.35"}};
    buf b = BUF_INIT;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_reset(&b);
        buf_json_double(&b, cases[i].v);
        assert_true(strtod(b.data, NULL) == cases[i].v);
        if (strcmp(cases[i].want, "0.333333333333333") != 0)
            assert_string_equal(b.data, cases[i].want);
    }
    /* Random doubles round-trip exactly. */
    srand(7);
    for (int i = 0; i < 20000; i++) {
        double v = (double)rand() / RAND_MAX * pow(10, rand() % 12 - 6);
        buf_reset(&b);
        buf_json_double(&b, v);
        if (strtod(b.data, NULL) != v)
            fail_msg("%.17g printed as %s", v, b.data);
    }
    buf_reset(&b);
    buf_json_double(&b, NAN);
    assert_string_equal(b.data, "null");
    buf_free(&b);
}

/* Integers in full, both signs, every digit count's edges. */
static void integers_are_written_in_full(void **state)
{
    (void)state;
    struct {
        int64_t v;
        const char *want;
    } cases[] = {{0, "0"},
                 {7, "7"},
                 {-1, "-1"},
                 {10, "10"},
                 {99, "99"},
                 {100, "100"},
                 {1604302260000, "1604302260000"},
                 {INT64_MAX, "9223372036854775807"},
                 {INT64_MIN, "-9223372036854775808"}};
    buf b = BUF_INIT;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_reset(&b);
        buf_json_int(&b, cases[i].v);
        assert_string_equal(b.data, cases[i].want);
    }
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appends_grow_and_stay_terminated),
        cmocka_unit_test(exact_reservation_takes_no_more_than_asked),
        cmocka_unit_test(detach_hands_over_storage),
        cmocka_unit_test(json_strings_are_escaped),
        cmocka_unit_test(doubles_are_shortest_round_trip),
        cmocka_unit_test(integers_are_written_in_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
