/* test_secrets_threads.c: common/secrets read from many threads at once, as
 * the producer's console masks librdkafka's log lines on librdkafka's own
 * threads.  The set is filled before the threads start; each thread masks
 * lines holding a secret, its cut-short prefix and none, and every copy
 * must come back masked exactly as one thread alone masks it. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/secrets.h"

#define THREADS 8
#define ROUNDS 2000

static struct secrets *set;

static const char *const lines[][2] = {
    {"Failed to resolve 'KEY:Zx9+Qw/7Lm+Tb2/Vc4@b-1.example:9092'",
     "Failed to resolve '***@b-1.example:9092'"},
    {"[thrd:sasl_ssl://KEY:Zx9+Qw/7]: cut", "[thrd:sasl_ssl://***]: cut"},
    {"nothing to hide here", "nothing to hide here"},
};

static void *mask_lines(void *arg)
{
    long *bad = arg;
    for (int r = 0; r < ROUNDS; r++)
        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
            char *got = secrets_redact(set, lines[i][0]);
            if (!got || strcmp(got, lines[i][1]) != 0)
                (*bad)++;
            free(got);
        }
    return NULL;
}

static void masks_the_same_on_every_thread(void **state)
{
    (void)state;
    set = secrets_new();
    assert_non_null(set);
    assert_int_equal(secrets_add_property(set, "bootstrap.servers",
                                          "KEY:Zx9+Qw/7Lm+Tb2/Vc4@b-1.example:9092"),
                     0);
    pthread_t th[THREADS];
    long bad[THREADS] = {0};
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, mask_lines, &bad[t]), 0);
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        if (bad[t])
            fail_msg("thread %d: expected every line masked as alone, got %ld wrong", t, bad[t]);
    }
    secrets_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(masks_the_same_on_every_thread),
    };
    return cmocka_run_group_tests_name("secrets_threads", tests, NULL, NULL);
}
