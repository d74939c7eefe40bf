/* test_registry_threads.c: registry_schema and decode_with_registry from 8
 * threads at once, as the connector stand-in's tasks call them, against the
 * Schema Registry double (started here on a free loopback port).  The
 * schema is fetched while the others wait or fetch too; every thread must
 * decode every value to the same row, and ThreadSanitizer must see no race
 * on the cache. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry/client.h"
#include "registry/decode.h"

#define THREADS 8
#define ROUNDS 200

static struct registry *reg;
static unsigned char value[64];
static size_t value_len;
static const char want[] = "{\"sepalLength\":5.1,\"sepalWidth\":3.5,\"petalLength\":1.4,"
                           "\"petalWidth\":0.2,\"species\":\"setosa\"}";

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    static char text[4096];
    size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = '\0';
    return n ? text : NULL;
}

/* Starts the double; returns its pid with its URL in url. */
static pid_t start_double(char *url, size_t len)
{
    char port_file[] = "/tmp/registry-threads-XXXXXX";
    int fd = mkstemp(port_file);
    assert_true(fd >= 0);
    close(fd);
    unlink(port_file);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/usr/bin/python3", "python3", "tests/doubles/schema_registry.py", "--port-file",
              port_file, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 400 && access(port_file, R_OK) != 0; i++)
        usleep(50000);
    char *port = read_file(port_file);
    assert_non_null(port);
    snprintf(url, len, "http://127.0.0.1:%d", atoi(port));
    unlink(port_file);
    return pid;
}

static void *decode_many(void *arg)
{
    long *bad = arg;
    for (int r = 0; r < ROUNDS; r++) {
        char err[512];
        char *json = decode_with_registry(reg, value, value_len, err, sizeof(err));
        if (!json || strcmp(json, want) != 0)
            (*bad)++;
        free(json);
    }
    return NULL;
}

static void decodes_the_same_on_every_thread(void **state)
{
    (void)state;
    char url[64], err[1024];
    pid_t pid = start_double(url, sizeof(url));
    struct registry_config cfg = {.url = url};
    reg = registry_new(&cfg, err, sizeof(err));
    assert_non_null(reg);
    const char *schema = read_file("producer/schemas/iris.avsc");
    assert_non_null(schema);
    int32_t id = 0;
    if (registry_register(reg, "iris-value", REGISTRY_AVRO, schema, &id, err, sizeof(err)) != 0)
        fail_msg("register: %s", err);
    /* An Avro record written by hand: magic 0, the id, four doubles
     * (little-endian IEEE 754) and "setosa" (zigzag length 6 = 12). */
    const double d[4] = {5.1, 3.5, 1.4, 0.2};
    value[0] = 0;
    for (int i = 0; i < 4; i++)
        value[1 + i] = (unsigned char)((uint32_t)id >> (24 - 8 * i));
    memcpy(value + 5, d, sizeof(d));
    value[37] = 12;
    memcpy(value + 38, "setosa", 6);
    value_len = 44;
    pthread_t th[THREADS];
    long bad[THREADS] = {0};
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, decode_many, &bad[t]), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    registry_free(reg);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    for (int t = 0; t < THREADS; t++)
        if (bad[t])
            fail_msg("thread %d: expected every value decoded to %s, %ld were not", t, want,
                     bad[t]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_the_same_on_every_thread),
    };
    return cmocka_run_group_tests_name("registry_threads", tests, NULL, NULL);
}
