/* options: parse the producer's command line with getopt_long. */
#include "producer/options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char options_usage[] =
    "Usage: producer [OPTIONS]\n"
    "Stream randomly sampled iris rows as JSON to a Kafka topic.\n"
    "\n"
    "Kafka:\n"
    "  -b, --brokers LIST      bootstrap servers (host:port,...); overrides the\n"
    "                          properties (default: bootstrap.servers, else localhost:9092)\n"
    "  -t, --topic NAME        topic (default iris)\n"
    "  -F, --config FILE       librdkafka / Confluent client properties file\n"
    "                          (key=value lines, # comments); repeatable\n"
    "  -X KEY=VALUE            librdkafka property, overrides -F; repeatable\n"
    "                          (defaults: enable.idempotence=true, acks=all)\n"
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
};

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '+')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_seconds(const char *s, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

enum options_result options_parse(int argc, char **argv, struct options *o, char *err,
                                  size_t errlen)
{
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
        {NULL, 0, NULL, 0},
    };
    int c;
    memset(o, 0, sizeof(*o));
    o->topic = "iris";
    o->progress_s = 5;
    o->flush_timeout_s = 10;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":b:t:F:X:n:r:qvhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            o->brokers = optarg;
            break;
        case 't':
            if (!*optarg) {
                snprintf(err, errlen, "-t: the topic name is empty");
                return OPTIONS_ERROR;
            }
            o->topic = optarg;
            break;
        case 'F':
        case 'X': {
            const char **list = c == 'F' ? o->config_files : o->overrides;
            size_t *n = c == 'F' ? &o->n_config_files : &o->n_overrides;
            if (*n == OPTIONS_MAX_LIST) {
                snprintf(err, errlen, "-%c: at most %d allowed", c, OPTIONS_MAX_LIST);
                return OPTIONS_ERROR;
            }
            list[(*n)++] = optarg;
            break;
        }
        case 'n':
            if (parse_u64(optarg, &o->count) != 0) {
                snprintf(err, errlen, "-n: expected a message count, got '%s'", optarg);
                return OPTIONS_ERROR;
            }
            o->has_count = 1;
            break;
        case 'r':
            if (parse_seconds(optarg, 1e9, &o->rate) != 0 || o->rate <= 0) {
                snprintf(err, errlen, "-r: expected messages per second > 0, got '%s'", optarg);
                return OPTIONS_ERROR;
            }
            break;
        case 'q':
            o->verbose = -1;
            break;
        case 'v':
            o->verbose = o->verbose < 0 ? 1 : o->verbose + 1;
            break;
        case 'h':
            return OPTIONS_HELP;
        case 'V':
            return OPTIONS_VERSION;
        case OPT_SEED:
            if (parse_u64(optarg, &o->seed) != 0) {
                snprintf(err, errlen, "--seed: expected a non-negative integer, got '%s'", optarg);
                return OPTIONS_ERROR;
            }
            o->has_seed = 1;
            break;
        case OPT_DRIFT:
            if (drift_parse(optarg, &o->drift, err, errlen) != 0)
                return OPTIONS_ERROR;
            o->has_drift = 1;
            break;
        case OPT_DATA:
            o->data = optarg;
            break;
        case OPT_KEY:
            if (strcmp(optarg, "species") == 0) {
                o->key = KEY_SPECIES;
            } else if (strcmp(optarg, "uuid") == 0) {
                o->key = KEY_UUID;
            } else if (strcmp(optarg, "none") == 0) {
                o->key = KEY_NONE;
            } else {
                snprintf(err, errlen, "--key: expected species, uuid or none, got '%s'", optarg);
                return OPTIONS_ERROR;
            }
            break;
        case OPT_SEQ:
            o->seq_header = 1;
            break;
        case OPT_DRY_RUN:
            o->dry_run = 1;
            break;
        case OPT_PROGRESS:
            if (parse_seconds(optarg, 86400, &o->progress_s) != 0) {
                snprintf(err, errlen, "--progress: expected seconds (0 = off), got '%s'", optarg);
                return OPTIONS_ERROR;
            }
            break;
        case OPT_FLUSH_TIMEOUT:
            if (parse_seconds(optarg, 86400, &o->flush_timeout_s) != 0) {
                snprintf(err, errlen, "--flush-timeout: expected seconds, got '%s'", optarg);
                return OPTIONS_ERROR;
            }
            break;
        case ':':
            snprintf(err, errlen, "%s: missing argument", argv[optind - 1]);
            return OPTIONS_ERROR;
        default:
            if (optopt)
                snprintf(err, errlen, "unknown option -%c (see --help)", optopt);
            else
                snprintf(err, errlen, "unknown option %s (see --help)", argv[optind - 1]);
            return OPTIONS_ERROR;
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
        return OPTIONS_ERROR;
    }
    return OPTIONS_RUN;
}
