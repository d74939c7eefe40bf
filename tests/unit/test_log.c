/* test_log.c: common/log's metrics line under Lambda's log-level filtering.
 * The rule applied here is the Lambda developer guide's ("Log-level
 * filtering"): with the JSON log format, a line whose "level" is below the
 * application log level is dropped, and one without a valid "level" counts
 * as INFO.  Each case captures stdout and checks what that rule keeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"

static const char *const names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};

/* Runs fn with stdout captured into out (NUL-terminated). */
static void capture(void (*fn)(void), char *out, size_t cap)
{
    fflush(stdout);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
    fn();
    fflush(stdout);
    assert_true(dup2(saved, STDOUT_FILENO) >= 0);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, cap - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
}

/* The level Lambda reads from a JSON line: its "level" if valid, else INFO. */
static int lambda_level_of(const char *line)
{
    const char *p = strstr(line, "\"level\":\"");
    if (p == NULL)
        return LOG_INFO;
    p += strlen("\"level\":\"");
    for (int i = LOG_TRACE; i <= LOG_FATAL; i++)
        if (strncmp(p, names[i], strlen(names[i])) == 0 && p[strlen(names[i])] == '"')
            return i;
    return LOG_INFO;
}

static const char emf[] = "{\"_aws\":{\"Timestamp\":1},\"Records\":20}";

static void write_metrics(void)
{
    log_metrics_line(emf, sizeof emf - 1);
}

static void test_metrics_line_passes_lambda_filter_at_every_level(void **state)
{
    (void)state;
    for (int level = LOG_TRACE; level <= LOG_FATAL; level++) {
        log_set_level((enum log_level)level);
        char out[512];
        capture(write_metrics, out, sizeof out);
        char want[512];
        snprintf(want, sizeof want, "{\"level\":\"%s\",%s\n",
                 names[level > LOG_INFO ? level : LOG_INFO], emf + 1);
        if (strcmp(out, want) != 0)
            print_error("threshold %s: expected %s     got %s", names[level], want, out);
        assert_string_equal(out, want);
        assert_true(lambda_level_of(out) >= level); /* kept by Lambda at this level */
    }
    log_set_level(LOG_INFO);
}

static void test_a_line_without_level_would_be_dropped_above_info(void **state)
{
    (void)state;
    /* Why the level is needed: the bare document counts as INFO. */
    assert_int_equal(lambda_level_of(emf), LOG_INFO);
    assert_true(lambda_level_of(emf) < LOG_WARN);
}

static void write_non_objects(void)
{
    log_metrics_line("[1]", 3);
    log_metrics_line("{", 1);
}

static void test_metrics_line_refuses_what_is_not_an_object(void **state)
{
    (void)state;
    char out[64];
    capture(write_non_objects, out, sizeof out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_line_passes_lambda_filter_at_every_level),
        cmocka_unit_test(test_a_line_without_level_would_be_dropped_above_info),
        cmocka_unit_test(test_metrics_line_refuses_what_is_not_an_object),
    };
    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
