/* producer: stream randomly sampled iris rows as JSON to a Kafka topic.
 * Wires the modules together: options -> properties -> rowset -> sampler
 * -> sender -> stream. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "producer/console.h"
#include "producer/encode.h"
#include "common/secrets.h"
#include "producer/rowset.h"
#include "producer/options.h"
#include "producer/props.h"
#include "producer/sampler.h"
#include "producer/sender.h"
#include "producer/stream.h"

#define DEFAULT_DATA "model/iris.csv"

static volatile sig_atomic_t stop_requested, abort_requested;

static void on_signal(int sig)
{
    (void)sig;
    if (stop_requested)
        abort_requested = 1;
    stop_requested = 1;
}

static void add_secret(const char *s, size_t len, void *ctx)
{
    (void)ctx;
    char *copy = strndup(s, len);
    if (!copy)
        abort(); /* never risk printing a secret */
    console_add_secret(copy);
    free(copy);
}

static void register_secrets(const struct props *p)
{
    for (size_t i = 0; i < p->n; i++)
        secrets_property_parts(p->items[i].key, p->items[i].value, add_secret, NULL);
}

/* Loads -F files, then -X overrides, registering secrets as soon as they are
 * read.  Returns 0, or -1 with err. */
static int load_props(const struct options *o, struct props *p, char *err, size_t errlen)
{
    for (size_t i = 0; i < o->n_config_files; i++) {
        int r = props_load(p, o->config_files[i], err, errlen);
        register_secrets(p);
        if (r != 0)
            return -1;
    }
    for (size_t i = 0; i < o->n_overrides; i++) {
        int r = props_add_arg(p, o->overrides[i], err, errlen);
        register_secrets(p);
        if (r != 0)
            return -1;
    }
    return 0;
}

/* The last value of a registry property, given with or without the
 * "schema.registry." prefix that some of Confluent's clients use. */
static const char *registry_prop(const struct props *p, const char *key)
{
    char prefixed[128];
    snprintf(prefixed, sizeof(prefixed), "schema.registry.%s", key);
    const char *v = props_get(p, prefixed);
    return v ? v : props_get(p, key);
}

/* Reads a --schema file whole (NUL-terminated, malloc'd), or NULL with err. */
static char *read_schema(const char *path, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "--schema %s: %m", path);
        return NULL;
    }
    FILE *mem = open_memstream(&text, &len);
    char chunk[4096];
    size_t n;
    while (mem && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, mem);
    if (!mem || ferror(f) || fclose(mem) != 0) {
        snprintf(err, errlen, "--schema %s: cannot read it", path);
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

/* With --format avro, json_sr or protobuf: the registry client and the
 * encoder, the schema registered.  Returns 0, or -1 with err. */
static int open_encoder(const struct options *o, const struct props *p, struct registry **reg,
                        struct encoder **enc, char *err, size_t errlen)
{
    enum encode_format f;
    char *schema = NULL;
    int status = -1;
    if (encode_format_parse(o->format, &f) != 0 || f == ENCODE_JSON)
        return 0;
    struct registry_config rc = {
        .url = o->schema_registry ? o->schema_registry : registry_prop(p, "url"),
        .credentials_source = registry_prop(p, "basic.auth.credentials.source"),
        .user_info = registry_prop(p, "basic.auth.user.info"),
    };
    if (o->schema_file && !(schema = read_schema(o->schema_file, err, errlen)))
        goto cleanup;
    if (!(*reg = registry_new(&rc, err, errlen)))
        goto cleanup;
    if (!(*enc = encoder_new(f, *reg, o->topic, schema, err, errlen)))
        goto cleanup;
    console_verbose("values in %s, schema id %d under subject %s at %s", o->format,
                    (int)encoder_schema_id(*enc), encoder_subject(*enc),
                    registry_shown_url(*reg));
    status = 0;
cleanup:
    free(schema);
    return status;
}

/* The default data file: model/iris.csv in the working directory, else in
 * the repository the binary was built in (build/producer or
 * build/asan/producer); NULL when neither exists. */
static const char *default_data(char *buf, size_t len)
{
    char exe[PATH_MAX];
    if (access(DEFAULT_DATA, R_OK) == 0)
        return DEFAULT_DATA;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    for (int up = 0; up < 3; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash)
            break;
        *slash = '\0';
        if (snprintf(buf, len, "%s/%s", exe, DEFAULT_DATA) < (int)len && access(buf, R_OK) == 0)
            return buf;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct options o;
    struct props props = {0};
    struct rowset *ds = NULL;
    struct sampler *sampler = NULL;
    struct sender *sender = NULL;
    struct registry *reg = NULL;
    struct encoder *enc = NULL;
    char err[1024], databuf[PATH_MAX + 32];
    int status = 2;

    switch (options_parse(argc, argv, &o, err, sizeof(err))) {
    case OPTIONS_HELP:
        fputs(options_usage, stdout);
        return 0;
    case OPTIONS_VERSION:
        printf("producer (iris-lambda) with librdkafka %s\n", rd_kafka_version_str());
        return 0;
    case OPTIONS_ERROR:
        console_error("%s", err);
        return 2;
    case OPTIONS_RUN:
        break;
    }
    console_set_level(o.verbose < 0    ? CONSOLE_QUIET
                      : o.verbose >= 2 ? CONSOLE_DEBUG
                                       : (enum console_level)o.verbose);

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (o.brokers)
        secrets_property_parts("bootstrap.servers", o.brokers, add_secret, NULL);
    if (o.schema_registry)
        secrets_property_parts("schema.registry.url", o.schema_registry, add_secret, NULL);
    if (load_props(&o, &props, err, sizeof(err)) != 0) {
        console_error("%s", err);
        goto cleanup;
    }
    const char *data = o.data ? o.data : default_data(databuf, sizeof(databuf));
    if (!data) {
        console_error("%s: not found in the working directory nor next to the binary; "
                      "give --data FILE",
                      DEFAULT_DATA);
        goto cleanup;
    }
    ds = rowset_load(data, err, sizeof(err));
    if (!ds) {
        console_error("%s", err);
        goto cleanup;
    }
    if (!o.has_seed && getrandom(&o.seed, sizeof(o.seed), 0) != (ssize_t)sizeof(o.seed))
        o.seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
    console_verbose("%zu rows, %zu species from %s; seed %llu (--seed %llu repeats this run)",
                    ds->n_rows, ds->n_species, data, (unsigned long long)o.seed,
                    (unsigned long long)o.seed);
    sampler = sampler_new(ds, o.seed, o.has_drift ? &o.drift : NULL, err, sizeof(err));
    if (!sampler) {
        console_error("%s", err);
        goto cleanup;
    }
    if (open_encoder(&o, &props, &reg, &enc, err, sizeof(err)) != 0) {
        console_error("%s; nothing produced", err);
        goto cleanup;
    }
    if (!o.dry_run) {
        struct sender_config sc = {
            .brokers = o.brokers,
            .topic = o.topic,
            .props = &props,
            .verbose = o.verbose,
            .stop = &stop_requested,
        };
        sender = sender_new(&sc, err, sizeof(err));
        if (!sender) {
            console_error("%s", err);
            goto cleanup;
        }
    }

    struct stream_config cfg = {
        .count = o.count,
        .has_count = o.has_count,
        .rate = o.rate,
        .key = o.key,
        .seq_header = o.seq_header,
        .progress_s = o.progress_s,
        .flush_timeout_s = o.flush_timeout_s,
        .stop = &stop_requested,
        .abort = &abort_requested,
        .encoder = enc,
    };
    struct stream_result res;
    if (o.dry_run) {
        static char outbuf[1 << 20];
        setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    }
    status = stream_run(sampler, sender, stdout, &cfg, &res) == 0 ? 0 : 1;
    if (!o.dry_run)
        stream_print_summary(&res);

cleanup:
    sender_free(sender);
    encoder_free(enc);
    registry_free(reg);
    sampler_free(sampler);
    rowset_free(ds);
    props_free(&props);
    console_clear_secrets();
    return status;
}
