/* options: parse the producer's command line with getopt_long. */
#include "producer/options.h"
#include "common/opts.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char options_usage[] =
    "Usage: producer [OPTIONS]\n"
    "Stream randomly sampled iris rows to a Kafka topic: JSON, or Avro, JSON Schema\n"
    "or Protobuf through a Schema Registry.\n"
    "\n"
    "Kafka:\n"
    "  -b, --brokers LIST      bootstrap servers (host:port,...); overrides\n"
    "                          bootstrap.servers of -F/-X (one of the two is required)\n"
    "  -t, --topic NAME        topic (default iris)\n"
    "  -F, --config FILE       librdkafka / Confluent client properties file\n"
    "                          (key=value lines, # comments); repeatable\n"
    "  -X KEY=VALUE            librdkafka property, overrides -F; repeatable\n"
    "                          (defaults: enable.idempotence=true, acks=all)\n"
    "Schema Registry:\n"
    "      --format FORMAT     json (default: plain JSON, no registry), avro, json_sr\n"
    "                          or protobuf: the registry's wire format, the value\n"
    "                          schema registered under TOPIC-value\n"
    "      --schema-registry URL  the registry (default: schema.registry.url of -F/-X;\n"
    "                          credentials: basic.auth.credentials.source=USER_INFO\n"
    "                          and basic.auth.user.info=KEY:SECRET)\n"
    "      --schema FILE       the value schema (avro, json_sr; default: the one in\n"
    "                          producer/schemas/, compiled in)\n"
    "Records:\n"
    "  -n, --count N           stop after N messages (default: until SIGINT/SIGTERM)\n"
    "  -r, --rate R            at most R messages per second (default: unlimited)\n"
    "      --seed N            seed for a reproducible record sequence (default: random)\n"
    "      --drift SPEC        simulate a model going wrong after a point:\n"
    "                          after=N,labels=P,features=SD, e.g. after=1000,labels=0.5\n"
    "                          relabels half the records after the first 1,000;\n"
    "                          features=SD adds Gaussian noise (sd in cm) to features\n"
    "      --data FILE         iris CSV (default model/iris.csv)\n"
    "      --key species|uuid  message key (default: none)\n"
    "      --seq               add a header seq=N (the record's 0-based number)\n"
    "      --dry-run           print the values to stdout, one per line; no Kafka\n"
    "Output:\n"
    "  -q, --quiet             errors only\n"
    "  -v, --verbose           configuration and client logs (-vv: librdkafka debug)\n"
    "      --progress SECONDS  progress line interval on stderr (default 5, 0: off)\n"
    "      --flush-timeout S   on SIGINT/SIGTERM, wait at most S seconds for\n"
    "                          in-flight messages (default 10)\n"
    "  -h, --help              this help\n"
    "  -V, --version           versions\n"
    "\n"
    "Exit status: 0 when every message sent was delivered, 1 otherwise, 2 on a\n"
    "usage or configuration error.\n";

enum {
    OPT_SEED = 256,
    OPT_DRIFT,
    OPT_DATA,
    OPT_KEY,
    OPT_SEQ,
    OPT_DRY_RUN,
    OPT_PROGRESS,
    OPT_FLUSH_TIMEOUT,
    OPT_FORMAT,
    OPT_SCHEMA_REGISTRY,
    OPT_SCHEMA,
};

static int parse_u64(const char *s, uint64_t *out)
{
    unsigned long long v;
    if (opts_whole_number(s, 0, UINT64_MAX, &v) != 0)
        return -1;
    *out = v;
    return 0;
}

static const struct option longopts[] = {
    {"brokers", required_argument, NULL, 'b'},
    {"topic", required_argument, NULL, 't'},
    {"config", required_argument, NULL, 'F'},
    {"count", required_argument, NULL, 'n'},
    {"rate", required_argument, NULL, 'r'},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"seed", required_argument, NULL, OPT_SEED},
    {"drift", required_argument, NULL, OPT_DRIFT},
    {"data", required_argument, NULL, OPT_DATA},
    {"key", required_argument, NULL, OPT_KEY},
    {"seq", no_argument, NULL, OPT_SEQ},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"progress", required_argument, NULL, OPT_PROGRESS},
    {"flush-timeout", required_argument, NULL, OPT_FLUSH_TIMEOUT},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"schema-registry", required_argument, NULL, OPT_SCHEMA_REGISTRY},
    {"schema", required_argument, NULL, OPT_SCHEMA},
    {NULL, 0, NULL, 0},
};

/* What an option handler did with an option. */
enum taken { TAKEN = 0, TAKE_ERROR = -1, NOT_MINE = 1 };

static void set_defaults(struct options *o)
{
    memset(o, 0, sizeof(*o));
    o->topic = "iris";
    o->format = "json";
    o->progress_s = 5;
    o->flush_timeout_s = 10;
}

/* Appends a -F file or a -X override, at most OPTIONS_MAX_LIST of each. */
static enum taken take_list_item(int c, const char *arg, struct options *o, char *err,
                                 size_t errlen)
{
    const char **list = c == 'F' ? o->config_files : o->overrides;
    size_t *n = c == 'F' ? &o->n_config_files : &o->n_overrides;
    if (*n == OPTIONS_MAX_LIST) {
        snprintf(err, errlen, "-%c: at most %d allowed", c, OPTIONS_MAX_LIST);
        return TAKE_ERROR;
    }
    list[(*n)++] = arg;
    return TAKEN;
}

/* -b, -t, -F, -X: where the messages go and how to connect. */
static enum taken take_destination(int c, const char *arg, struct options *o, char *err,
                                   size_t errlen)
{
    switch (c) {
    case 'b':
        o->brokers = arg;
        return TAKEN;
    case 't':
        if (!*arg) {
            snprintf(err, errlen, "-t: the topic name is empty");
            return TAKE_ERROR;
        }
        o->topic = arg;
        return TAKEN;
    case 'F':
    case 'X':
        return take_list_item(c, arg, o, err, errlen);
    default:
        return NOT_MINE;
    }
}

static enum taken take_key(const char *arg, struct options *o, char *err, size_t errlen)
{
    if (strcmp(arg, "species") == 0)
        o->key = KEY_SPECIES;
    else if (strcmp(arg, "uuid") == 0)
        o->key = KEY_UUID;
    else if (strcmp(arg, "none") == 0)
        o->key = KEY_NONE;
    else {
        snprintf(err, errlen, "--key: expected species, uuid or none, got '%s'", arg);
        return TAKE_ERROR;
    }
    return TAKEN;
}

/* -n, -r, --seed: how many messages and how fast. */
static enum taken take_pace(int c, const char *arg, struct options *o, char *err, size_t errlen)
{
    switch (c) {
    case 'n':
        if (parse_u64(arg, &o->count) != 0) {
            snprintf(err, errlen, "-n: expected a message count, got '%s'", arg);
            return TAKE_ERROR;
        }
        o->has_count = 1;
        return TAKEN;
    case 'r':
        if (opts_number(arg, 0, 1e9, &o->rate) != 0 || o->rate <= 0) {
            snprintf(err, errlen, "-r: expected messages per second > 0, got '%s'", arg);
            return TAKE_ERROR;
        }
        return TAKEN;
    case OPT_SEED:
        if (parse_u64(arg, &o->seed) != 0) {
            snprintf(err, errlen, "--seed: expected a non-negative integer, got '%s'", arg);
            return TAKE_ERROR;
        }
        o->has_seed = 1;
        return TAKEN;
    default:
        return NOT_MINE;
    }
}

/* --drift, --data, --key, --seq, --dry-run: what each message holds. */
static enum taken take_content(int c, const char *arg, struct options *o, char *err, size_t errlen)
{
    switch (c) {
    case OPT_DRIFT:
        if (drift_parse(arg, &o->drift, err, errlen) != 0)
            return TAKE_ERROR;
        o->has_drift = 1;
        return TAKEN;
    case OPT_DATA:
        o->data = arg;
        return TAKEN;
    case OPT_KEY:
        return take_key(arg, o, err, errlen);
    case OPT_SEQ:
        o->seq_header = 1;
        return TAKEN;
    case OPT_DRY_RUN:
        o->dry_run = 1;
        return TAKEN;
    default:
        return NOT_MINE;
    }
}

/* --format, --schema-registry, --schema: how each value is written. */
static enum taken take_format(int c, const char *arg, struct options *o, char *err, size_t errlen)
{
    switch (c) {
    case OPT_FORMAT:
        if (strcmp(arg, "json") && strcmp(arg, "avro") && strcmp(arg, "json_sr") &&
            strcmp(arg, "protobuf")) {
            snprintf(err, errlen, "--format: expected json, avro, json_sr or protobuf, got '%s'",
                     arg);
            return TAKE_ERROR;
        }
        o->format = arg;
        return TAKEN;
    case OPT_SCHEMA_REGISTRY:
        o->schema_registry = arg;
        return TAKEN;
    case OPT_SCHEMA:
        o->schema_file = arg;
        return TAKEN;
    default:
        return NOT_MINE;
    }
}

/* -q, -v, --progress, --flush-timeout: what is printed and how a run ends. */
static enum taken take_output(int c, const char *arg, struct options *o, char *err, size_t errlen)
{
    switch (c) {
    case 'q':
        o->verbose = -1;
        return TAKEN;
    case 'v':
        o->verbose = o->verbose < 0 ? 1 : o->verbose + 1;
        return TAKEN;
    case OPT_PROGRESS:
        if (opts_number(arg, 0, 86400, &o->progress_s) != 0) {
            snprintf(err, errlen, "--progress: expected seconds (0 = off), got '%s'", arg);
            return TAKE_ERROR;
        }
        return TAKEN;
    case OPT_FLUSH_TIMEOUT:
        if (opts_number(arg, 0, 86400, &o->flush_timeout_s) != 0) {
            snprintf(err, errlen, "--flush-timeout: expected seconds, got '%s'", arg);
            return TAKE_ERROR;
        }
        return TAKEN;
    default:
        return NOT_MINE;
    }
}

/* getopt's ':' (missing argument) and '?' (unknown option) as usage errors. */
static void usage_error(int c, char **argv, char *err, size_t errlen)
{
    if (c == ':')
        snprintf(err, errlen, "%s: missing argument", argv[optind - 1]);
    else if (optopt)
        snprintf(err, errlen, "unknown option -%c (see --help)", optopt);
    else
        snprintf(err, errlen, "unknown option %s (see --help)", argv[optind - 1]);
}

enum options_result options_parse(int argc, char **argv, struct options *o, char *err,
                                  size_t errlen)
{
    int c;
    set_defaults(o);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":b:t:F:X:n:r:qvhV", longopts, NULL)) != -1) {
        if (c == 'h')
            return OPTIONS_HELP;
        if (c == 'V')
            return OPTIONS_VERSION;
        enum taken t = take_destination(c, optarg, o, err, errlen);
        if (t == NOT_MINE)
            t = take_pace(c, optarg, o, err, errlen);
        if (t == NOT_MINE)
            t = take_content(c, optarg, o, err, errlen);
        if (t == NOT_MINE)
            t = take_output(c, optarg, o, err, errlen);
        if (t == NOT_MINE)
            t = take_format(c, optarg, o, err, errlen);
        if (t == NOT_MINE)
            usage_error(c, argv, err, errlen);
        if (t != TAKEN)
            return OPTIONS_ERROR;
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
        return OPTIONS_ERROR;
    }
    if (strcmp(o->format, "json") == 0 && (o->schema_registry || o->schema_file)) {
        snprintf(err, errlen, "--schema-registry and --schema need --format avro, json_sr or "
                              "protobuf");
        return OPTIONS_ERROR;
    }
    if (strcmp(o->format, "json") != 0 && o->dry_run) {
        snprintf(err, errlen, "--dry-run prints JSON lines; it takes no --format %s", o->format);
        return OPTIONS_ERROR;
    }
    if (strcmp(o->format, "protobuf") == 0 && o->schema_file) {
        snprintf(err, errlen, "--schema: protobuf values are written with the compiled-in "
                              "producer/schemas/iris.proto only");
        return OPTIONS_ERROR;
    }
    return OPTIONS_RUN;
}
