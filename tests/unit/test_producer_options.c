/* Unit tests for producer/options: the command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "producer/options.h"

#define MAX_ARGS 40

static enum options_result parse(struct options *o, char *err, size_t errlen, ...)
{
    char *argv[MAX_ARGS] = {"producer"};
    int argc = 1;
    va_list ap;
    va_start(ap, errlen);
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < MAX_ARGS - 1;)
        argv[argc++] = a;
    va_end(ap);
    return options_parse(argc, argv, o, err, errlen);
}

static void defaults(void **state)
{
    (void)state;
    struct options o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof(err), NULL), OPTIONS_RUN);
    assert_string_equal(o.topic, "iris");
    assert_null(o.brokers);
    assert_false(o.has_count);
    assert_false(o.has_seed);
    assert_true(o.rate == 0);
    assert_int_equal(o.key, KEY_NONE);
    assert_true(o.progress_s == 5);
    assert_true(o.flush_timeout_s == 10);
}

static void every_option(void **state)
{
    (void)state;
    struct options o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof(err), "-b", "h:1", "-t", "t", "-F", "a.properties", "-X",
                           "acks=1", "-X", "linger.ms=5", "-n", "10", "-r", "2.5", "--seed", "0",
                           "--drift", "after=3,labels=1", "--data", "d.csv", "--key", "uuid",
                           "--seq", NULL),
                     OPTIONS_RUN);
    assert_string_equal(o.brokers, "h:1");
    assert_string_equal(o.topic, "t");
    assert_int_equal(o.n_config_files, 1);
    assert_int_equal(o.n_overrides, 2);
    assert_string_equal(o.overrides[1], "linger.ms=5");
    assert_true(o.has_count && o.count == 10);
    assert_true(o.rate == 2.5);
    assert_true(o.has_seed && o.seed == 0);
    assert_true(o.has_drift && o.drift.after == 3 && o.drift.labels == 1.0);
    assert_string_equal(o.data, "d.csv");
    assert_int_equal(o.key, KEY_UUID);
    assert_true(o.seq_header);
    assert_int_equal(parse(&o, err, sizeof(err), "--dry-run", "-q", "--progress", "0",
                           "--flush-timeout", "2.5", "--key", "species", NULL),
                     OPTIONS_RUN);
    assert_true(o.dry_run && o.verbose == -1 && o.progress_s == 0 && o.flush_timeout_s == 2.5);
    assert_int_equal(o.key, KEY_SPECIES);
    assert_int_equal(parse(&o, err, sizeof(err), "-vv", NULL), OPTIONS_RUN);
    assert_int_equal(o.verbose, 2);
    assert_int_equal(parse(&o, err, sizeof(err), "--help", NULL), OPTIONS_HELP);
    assert_int_equal(parse(&o, err, sizeof(err), "-V", NULL), OPTIONS_VERSION);
}

static const struct {
    const char *args[3];
    const char *error;
} bad[] = {
    {{"-n", "-5"}, "-n: expected a message count, got '-5'"},
    {{"-n", "1x"}, "-n: expected a message count, got '1x'"},
    {{"-r", "0"}, "-r: expected messages per second > 0, got '0'"},
    {{"-r", "inf"}, "-r: expected messages per second > 0, got 'inf'"},
    {{"--seed", "x"}, "--seed: expected a non-negative integer, got 'x'"},
    {{"--key", "k"}, "--key: expected species, uuid or none, got 'k'"},
    {{"--progress", "-1"}, "--progress: expected seconds (0 = off), got '-1'"},
    {{"-t", ""}, "-t: the topic name is empty"},
    {{"-z"}, "unknown option -z (see --help)"},
    {{"--nope"}, "unknown option --nope (see --help)"},
    {{"-n"}, "-n: missing argument"},
    {{"extra"}, "unexpected argument 'extra' (see --help)"},
};

static void rejects_bad_arguments(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct options o;
        char err[256] = "";
        enum options_result r =
            parse(&o, err, sizeof(err), bad[i].args[0], bad[i].args[1], bad[i].args[2], NULL);
        if (r != OPTIONS_ERROR || strcmp(err, bad[i].error) != 0)
            fail_msg("case %zu: expected '%s', got %d '%s'", i, bad[i].error, r, err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(every_option),
        cmocka_unit_test(rejects_bad_arguments),
    };
    return cmocka_run_group_tests_name("producer_options", tests, NULL, NULL);
}
