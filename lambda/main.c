/* main.c: the bootstrap: wires the Runtime API client to the iris handler. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/bigmem.h"
#include "common/log.h"
#include "lambda/handler.h"
#include "runtime/runtime.h"

static void usage(FILE *f)
{
    fputs("usage: bootstrap\n"
          "An AWS Lambda custom runtime (provided.al2023) that scores iris\n"
          "records sent by the Confluent AWS Lambda Sink connector.  It talks to the\n"
          "Runtime API at $AWS_LAMBDA_RUNTIME_API; run it under Lambda, `sam local invoke`,\n"
          "or `make invoke EVENT=events/<file>.json` (local Runtime API emulator).\n"
          "Configuration is read from the environment: see README.md \"Configuration\".\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        int help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        usage(help ? stdout : stderr);
        return help ? 0 : 2;
    }
    /* cJSON allocates as the rest of the process does: a record's megabyte
     * strings (a hostile 6 MB value, say) in kept regions of huge pages
     * (common/bigmem.h) rather than page by page from the heap. */
    cJSON_InitHooks(&(cJSON_Hooks){.malloc_fn = bigmem_malloc, .free_fn = bigmem_free});
    runtime_global_init();
    char err[1024];
    runtime *rt = runtime_new(err, sizeof err);
    if (rt == NULL) {
        log_msg(LOG_FATAL, "%s", err);
        return 1;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0)
        exe[n] = '\0';
    else
        snprintf(exe, sizeof exe, "%s", argv[0]);

    static handler_ctx h;
    const char *err_type = NULL;
    int rc;
    if (handler_init(&h, exe, &err_type, err, sizeof err) != 0) {
        runtime_init_error(rt, err_type, err);
        rc = 1;
    } else {
        rc = runtime_run(rt, handler_invoke, &h);
    }
    handler_free(&h);
    runtime_free(rt);
    runtime_global_cleanup();
    return rc;
}
