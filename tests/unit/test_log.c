/* test_log.c: common/log's lines under Lambda's log-level filtering.
 * The rule applied here is the Lambda developer guide's ("Log-level
 * filtering"), whole: with the JSON log format, a line whose "level" is
 * below the application log level is dropped; a line without a valid
 * "level", or without a valid RFC 3339 "timestamp", counts as INFO.  Each
 * case captures stdout and checks what that rule keeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
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

static int digits(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* RFC 3339 section 5.6 date-time: full-date "T" full-time, with the ranges
 * of section 5.7 (days of the month, leap years; second 60 for a leap
 * second); "T" and "Z" in either case.  s is the string's len bytes. */
static int rfc3339_valid(const char *s, size_t len)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':')
        return 0;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    int h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || sec < 0 || sec > 60)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return 0;
    size_t i = 19;
    if (s[i] == '.') { /* time-secfrac: "." 1*DIGIT */
        size_t j = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == j)
            return 0;
    }
    if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z'))
        return 1;
    if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh = digits(s + i + 1, 2), om = digits(s + i + 4, 2);
        return oh >= 0 && oh <= 23 && om >= 0 && om <= 59;
    }
    return 0;
}

/* The string value of member name in a flat JSON line (no escapes in the
 * values looked up here), or NULL. */
static const char *member(const char *line, const char *name, size_t *len)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\":\"", name);
    const char *p = strstr(line, key);
    if (p == NULL)
        return NULL;
    p += strlen(key);
    const char *e = strchr(p, '"');
    if (e == NULL)
        return NULL;
    *len = (size_t)(e - p);
    return p;
}

/* The level Lambda gives a JSON line: its "level" (any case) when that is
 * valid and the line has a valid RFC 3339 "timestamp"; INFO otherwise. */
static int lambda_level_of(const char *line)
{
    size_t llen, tlen;
    const char *level = member(line, "level", &llen);
    const char *stamp = member(line, "timestamp", &tlen);
    if (level == NULL || stamp == NULL || !rfc3339_valid(stamp, tlen))
        return LOG_INFO;
    for (int i = LOG_TRACE; i <= LOG_FATAL; i++)
        if (strlen(names[i]) == llen && strncasecmp(level, names[i], llen) == 0)
            return i;
    return LOG_INFO;
}

/* Seconds between the line's "timestamp" and now (the line was just written). */
static double stamp_age(const char *line)
{
    size_t len;
    const char *stamp = member(line, "timestamp", &len);
    assert_non_null(stamp);
    struct tm tm = {0};
    assert_non_null(strptime(stamp, "%Y-%m-%dT%H:%M:%S", &tm));
    return difftime(time(NULL), timegm(&tm));
}

static void test_lambda_rule_reads_rfc3339_timestamps(void **state)
{
    (void)state;
    static const char *const good[] = {
        "2024-11-02T16:51:31.587199Z", "2024-11-02t16:51:31z", "2024-02-29T00:00:00+05:30",
        "1990-12-31T23:59:60Z", "2026-11-23T03:50:00.123-08:00"};
    static const char *const bad[] = {
        "2024-11-02 16:51:31Z", "2024-11-02T16:51:31", "2023-02-29T00:00:00Z",
        "2024-13-01T00:00:00Z", "2024-11-02T24:00:00Z", "2024-11-02T16:51:31.Z",
        "1730566291", "2024-11-02T16:51:31+0530", ""};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!rfc3339_valid(good[i], strlen(good[i])))
            fail_msg("expected %s to be valid RFC 3339, got invalid", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (rfc3339_valid(bad[i], strlen(bad[i])))
            fail_msg("expected \"%s\" to be invalid RFC 3339, got valid", bad[i]);
    /* The guide's own example line (level in lower case) is DEBUG; without a
     * valid timestamp a WARN line is INFO. */
    assert_int_equal(lambda_level_of("{\"level\":\"debug\",\"msg\":\"x\","
                                     "\"timestamp\":\"2024-11-02T16:51:31.587199Z\"}"),
                     LOG_DEBUG);
    assert_int_equal(lambda_level_of("{\"level\":\"WARN\",\"msg\":\"x\"}"), LOG_INFO);
    assert_int_equal(lambda_level_of("{\"level\":\"WARN\",\"timestamp\":\"yesterday\"}"),
                     LOG_INFO);
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
        /* {"timestamp":"YYYY-MM-DDTHH:MM:SS.mmmZ","level":"<level>",<the document's members>} */
        char want_tail[512];
        snprintf(want_tail, sizeof want_tail, "\",\"level\":\"%s\",%s\n",
                 names[level > LOG_INFO ? level : LOG_INFO], emf + 1);
        const char *head = "{\"timestamp\":\"";
        size_t hl = strlen(head), stamp_len = strlen("2026-11-23T03:50:00.123Z");
        if (strncmp(out, head, hl) != 0 || strlen(out) < hl + stamp_len ||
            strcmp(out + hl + stamp_len, want_tail) != 0)
            fail_msg("threshold %s: expected {\"timestamp\":\"<24 characters>%s     got %s",
                     names[level], want_tail, out);
        assert_true(rfc3339_valid(out + hl, stamp_len));
        assert_true(stamp_age(out) >= -1 && stamp_age(out) <= 5);
        if (lambda_level_of(out) < level) /* dropped by Lambda at this level */
            fail_msg("threshold %s: expected Lambda to keep the metrics line, it reads it as %s",
                     names[level], names[lambda_level_of(out)]);
    }
    log_set_level(LOG_INFO);
}

static void test_metrics_without_a_timestamp_would_be_dropped_above_info(void **state)
{
    (void)state;
    /* Why both members are needed: the bare document counts as INFO, and so
     * does one with a level but no timestamp (the line this module wrote
     * before it stamped the time). */
    assert_int_equal(lambda_level_of(emf), LOG_INFO);
    assert_int_equal(lambda_level_of("{\"level\":\"ERROR\",\"_aws\":{\"Timestamp\":1}}"),
                     LOG_INFO);
}

static void write_levels(void)
{
    log_set_level(LOG_TRACE);
    log_msg(LOG_DEBUG, "debug %d", 1);
    log_fields(LOG_WARN, "warn", "\"n\":2");
    log_msg(LOG_FATAL, "fatal");
    log_set_level(LOG_INFO);
}

static void test_every_line_carries_its_level_and_a_timestamp_lambda_accepts(void **state)
{
    (void)state;
    char out[2048];
    capture(write_levels, out, sizeof out);
    static const int want[] = {LOG_DEBUG, LOG_WARN, LOG_FATAL};
    char *save = NULL;
    int i = 0;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
        assert_true(i < 3);
        if (lambda_level_of(line) != want[i])
            fail_msg("line %d: expected Lambda to read %s, got %s: %s", i, names[want[i]],
                     names[lambda_level_of(line)], line);
    }
    assert_int_equal(i, 3);
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
        cmocka_unit_test(test_lambda_rule_reads_rfc3339_timestamps),
        cmocka_unit_test(test_metrics_line_passes_lambda_filter_at_every_level),
        cmocka_unit_test(test_metrics_without_a_timestamp_would_be_dropped_above_info),
        cmocka_unit_test(test_every_line_carries_its_level_and_a_timestamp_lambda_accepts),
        cmocka_unit_test(test_metrics_line_refuses_what_is_not_an_object),
    };
    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
