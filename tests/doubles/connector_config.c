/* connector_config.c: the connector stand-in's options (connector_config.h). */
#include "tests/doubles/connector_config.h"
#include "common/opts.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define PROG "sink-connector"

static const char *const on_error_names[] = {"log", "fail", "ignore"};

const char *connector_on_error_name(enum connector_on_error e)
{
    return on_error_names[e];
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: " PROG " -b BROKERS -u URL [options]\n"
            "\n"
            "A stand-in for the Confluent AWS Lambda Sink connector (sync mode): consumes\n"
            "TOPIC, invokes the function with batches in the connector's payload format\n"
            "through the Invoke API (POST URL/2015-03-31/functions/NAME/invocations),\n"
            "writes each element of the response to the result topic, handles a failed\n"
            "invocation as behavior.on.error says, and commits offsets only after that\n"
            "(at-least-once).\n"
            "\n"
            "  -b, --brokers LIST          Kafka bootstrap servers (HOST:PORT,...)\n"
            "  -u, --url URL               Invoke API base URL, e.g. http://127.0.0.1:9001\n"
            "  -f, --function NAME         aws.lambda.function.name (default: function)\n"
            "  -t, --topic TOPIC           the topic to consume (default: iris)\n"
            "  -n, --connector-name NAME   ${connector} in the topic names below (default:\n"
            "                              iris-lambda-sink)\n"
            "  -g, --group ID              consumer group (default: connect-${connector},\n"
            "                              as Kafka Connect names a sink's group)\n"
            "\n"
            "The connector's properties (and their defaults):\n"
            "      --tasks-max N           tasks.max (1): tasks, each a consumer in the group\n"
            "                              on its own thread; partitions are split among\n"
            "                              them and processed in parallel (at most 64)\n"
            "      --batch-size N          aws.lambda.batch.size (20)\n"
            "      --invocation-type T     aws.lambda.invocation.type (sync; only sync is\n"
            "                              modelled)\n"
            "      --input-data-format F   input.data.format: JSON, JSON_SR, AVRO, PROTOBUF,\n"
            "                              BYTES (JSON)\n"
            "      --record-converter C    record.converter.class: JsonKeyValueConverter or\n"
            "                              EscapedJsonKeyValueConverter (JsonKeyValueConverter)\n"
            "      --behavior-on-error B   behavior.on.error: log, fail, ignore (log)\n"
            "  -s, --result-topic T        reporter.result.topic.name (success-${connector};\n"
            "                              '-' writes none)\n"
            "      --error-topic T         reporter.error.topic.name (error-${connector}; '-')\n"
            "      --dlq-topic T           dead letter queue for records the converter cannot\n"
            "                              read (dlq-${connector}; '-': such a record stops\n"
            "                              the connector)\n"
            "      --timeout-ms MS         invocation timeout (50000, the connector's fixed\n"
            "                              socket timeout)\n"
            "      --schema-registry URL   the Schema Registry AVRO, JSON_SR and PROTOBUF\n"
            "                              values are decoded with (the environment's\n"
            "                              registry; value.converter.schema.registry.url)\n"
            "\n"
            "The stand-in's own, not the connector's (retries are off by default):\n"
            "      --retries N             retries of a failed invocation (0: the connector\n"
            "                              never retries)\n"
            "      --backoff-ms MS         first retry delay, doubled each time (100)\n"
            "      --backoff-max-ms MS     longest retry delay (5000)\n"
            "      --batch-wait-ms MS      longest a partial batch waits (500; the connector\n"
            "                              invokes with what a poll returned)\n"
            "      --max-records N         exit 0 once N records are committed\n"
            "      --idle-exit-ms MS       exit 0 once no task took a record for MS\n"
            "                              (counted from the last assignment; every task\n"
            "                              joined, none in a rebalance)\n"
            "      --progress-ms MS        print a progress line every MS (stderr)\n"
            "      --print-properties      print the connector properties these options\n"
            "                              stand for (name=value) and exit\n"
            "  -X KEY=VALUE                librdkafka property for all clients (repeatable)\n"
            "  -v, --verbose               one line per batch\n"
            "  -h, --help                  this help\n"
            "\n"
            "Exit status: 0 after SIGINT/SIGTERM, --max-records or --idle-exit-ms; 1 when\n"
            "the connector stops (behavior.on.error=fail, a record it cannot convert\n"
            "without a DLQ, results it cannot write): the failed batch is not committed;\n"
            "2 on a usage error.\n");
}

/* Every bound is >= 0. */
static int parse_long(const char *name, const char *s, long min, long max, long *out)
{
    unsigned long long v;
    if (opts_whole_number(s, (unsigned long long)min, (unsigned long long)max, &v) != 0) {
        fprintf(stderr, PROG ": %s: '%s' is not a number from %ld to %ld\n", name, s, min, max);
        return -1;
    }
    *out = (long)v;
    return 0;
}

static int parse_choice(const char *name, const char *s, const char *const *names, size_t n,
                        int *out)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    fprintf(stderr, PROG ": %s: '%s' is not one of:", name, s);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %s", names[i]);
    fprintf(stderr, "\n");
    return -1;
}

/* A topic option: '-' is none; NULL value keeps the default. */
static const char *topic_or_none(const char *v)
{
    return strcmp(v, "-") == 0 ? NULL : v;
}

enum {
    O_TASKS = 256,
    O_BATCH,
    O_INVOCATION,
    O_FORMAT,
    O_CONVERTER,
    O_ON_ERROR,
    O_ERROR_TOPIC,
    O_DLQ_TOPIC,
    O_WAIT,
    O_RETRIES,
    O_BACKOFF,
    O_BACKOFF_MAX,
    O_TIMEOUT,
    O_MAX,
    O_IDLE,
    O_PROGRESS,
    O_PRINT,
    O_SCHEMA_REGISTRY
};

static const struct option longopts[] = {
    {"brokers", required_argument, NULL, 'b'},
    {"url", required_argument, NULL, 'u'},
    {"function", required_argument, NULL, 'f'},
    {"topic", required_argument, NULL, 't'},
    {"connector-name", required_argument, NULL, 'n'},
    {"group", required_argument, NULL, 'g'},
    {"result-topic", required_argument, NULL, 's'},
    {"success-topic", required_argument, NULL, 's'},
    {"tasks-max", required_argument, NULL, O_TASKS},
    {"batch-size", required_argument, NULL, O_BATCH},
    {"invocation-type", required_argument, NULL, O_INVOCATION},
    {"input-data-format", required_argument, NULL, O_FORMAT},
    {"record-converter", required_argument, NULL, O_CONVERTER},
    {"behavior-on-error", required_argument, NULL, O_ON_ERROR},
    {"error-topic", required_argument, NULL, O_ERROR_TOPIC},
    {"dlq-topic", required_argument, NULL, O_DLQ_TOPIC},
    {"batch-wait-ms", required_argument, NULL, O_WAIT},
    {"retries", required_argument, NULL, O_RETRIES},
    {"backoff-ms", required_argument, NULL, O_BACKOFF},
    {"backoff-max-ms", required_argument, NULL, O_BACKOFF_MAX},
    {"timeout-ms", required_argument, NULL, O_TIMEOUT},
    {"max-records", required_argument, NULL, O_MAX},
    {"idle-exit-ms", required_argument, NULL, O_IDLE},
    {"progress-ms", required_argument, NULL, O_PROGRESS},
    {"print-properties", no_argument, NULL, O_PRINT},
    {"schema-registry", required_argument, NULL, O_SCHEMA_REGISTRY},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The connector's own properties; -1 on a bad value. */
static int parse_property(int c, const char *arg, struct connector_options *opt)
{
    int v = 0, rc = 0;
    switch (c) {
    case O_TASKS:
        return parse_long("--tasks-max", arg, 1, CONNECTOR_MAX_TASKS, &opt->tasks_max);
    case O_BATCH:
        return parse_long("--batch-size", arg, 1, 100000, &opt->batch_size);
    case O_INVOCATION:
        if (strcmp(arg, "sync") == 0)
            return 0;
        fprintf(stderr,
                PROG ": --invocation-type %s: only sync is modelled (async invokes "
                     "fire and forget; nothing would reach the result topic)\n",
                arg);
        return -1;
    case O_FORMAT:
        if (connector_format_parse(arg, &opt->format) == 0)
            return 0;
        fprintf(stderr,
                PROG ": --input-data-format: '%s' is not one of: JSON JSON_SR AVRO "
                     "PROTOBUF BYTES\n",
                arg);
        return -1;
    case O_CONVERTER:
        if (connector_converter_parse(arg, &opt->converter) == 0)
            return 0;
        fprintf(stderr,
                PROG ": --record-converter: '%s' is not JsonKeyValueConverter or "
                     "EscapedJsonKeyValueConverter\n",
                arg);
        return -1;
    case O_ON_ERROR:
        rc = parse_choice("--behavior-on-error", arg, on_error_names, 3, &v);
        opt->on_error = (enum connector_on_error)v;
        return rc;
    case O_ERROR_TOPIC:
        opt->error_topic = topic_or_none(arg);
        return 0;
    case O_DLQ_TOPIC:
        opt->dlq_topic = topic_or_none(arg);
        return 0;
    case O_TIMEOUT:
        return parse_long("--timeout-ms", arg, 1, 900000, &opt->timeout_ms);
    default:
        return -1;
    }
}

/* The stand-in's own options; -1 on a bad value. */
static int parse_own(int c, const char *arg, struct connector_options *opt)
{
    switch (c) {
    case O_WAIT:
        return parse_long("--batch-wait-ms", arg, 0, 3600000, &opt->batch_wait_ms);
    case O_RETRIES:
        return parse_long("--retries", arg, 0, 1000000, &opt->retries);
    case O_BACKOFF:
        return parse_long("--backoff-ms", arg, 0, 3600000, &opt->backoff_ms);
    case O_BACKOFF_MAX:
        return parse_long("--backoff-max-ms", arg, 0, 3600000, &opt->backoff_max_ms);
    case O_MAX:
        return parse_long("--max-records", arg, 1, LONG_MAX, &opt->max_records);
    case O_IDLE:
        return parse_long("--idle-exit-ms", arg, 1, LONG_MAX, &opt->idle_exit_ms);
    case O_PROGRESS:
        return parse_long("--progress-ms", arg, 1, LONG_MAX, &opt->progress_ms);
    case O_PRINT:
        opt->print_properties = 1;
        return 0;
    case O_SCHEMA_REGISTRY:
        opt->schema_registry = arg;
        return 0;
    case 'X':
        if (strchr(arg, '=') == NULL) {
            fprintf(stderr, PROG ": -X %s: expected KEY=VALUE\n", arg);
            return -1;
        }
        if (opt->n_props == CONNECTOR_MAX_PROPS) {
            fprintf(stderr, PROG ": too many -X options (at most %d)\n", CONNECTOR_MAX_PROPS);
            return -1;
        }
        opt->props[opt->n_props++] = arg;
        return 0;
    default:
        return parse_property(c, arg, opt);
    }
}

/* ${connector}-derived defaults for what the command line left unset. */
static void derive_names(struct connector_options *opt, int result_set, int error_set, int dlq_set)
{
    if (opt->group == NULL) {
        snprintf(opt->names[0], sizeof opt->names[0], "connect-%s", opt->name);
        opt->group = opt->names[0];
    }
    if (!result_set) {
        snprintf(opt->names[1], sizeof opt->names[1], "success-%s", opt->name);
        opt->result_topic = opt->names[1];
    }
    if (!error_set) {
        snprintf(opt->names[2], sizeof opt->names[2], "error-%s", opt->name);
        opt->error_topic = opt->names[2];
    }
    if (!dlq_set) {
        snprintf(opt->names[3], sizeof opt->names[3], "dlq-%s", opt->name);
        opt->dlq_topic = opt->names[3];
    }
}

static int check_required(const struct connector_options *opt)
{
    int has_bootstrap = opt->brokers != NULL;
    for (int i = 0; i < opt->n_props; i++)
        has_bootstrap |= strncmp(opt->props[i], "bootstrap.servers=", 18) == 0;
    if (!has_bootstrap) {
        fprintf(stderr, PROG ": no brokers: pass -b HOST:PORT (or -X bootstrap.servers=...)\n");
        return -1;
    }
    if (opt->url == NULL) {
        fprintf(stderr, PROG ": no function endpoint: pass -u http://HOST:PORT (the Invoke API, "
                             "e.g. the Runtime Interface Emulator or sam local start-lambda)\n");
        return -1;
    }
    return 0;
}

int connector_options_parse(int argc, char **argv, struct connector_options *opt)
{
    *opt = (struct connector_options){.topic = "iris",
                                      .name = "iris-lambda-sink",
                                      .function = "function",
                                      .format = CONNECTOR_FORMAT_JSON,
                                      .converter = CONNECTOR_CONVERTER_JSON_KV,
                                      .on_error = CONNECTOR_ON_ERROR_LOG,
                                      .tasks_max = 1,
                                      .batch_size = 20,
                                      .batch_wait_ms = 500,
                                      .retries = 0,
                                      .backoff_ms = 100,
                                      .backoff_max_ms = 5000,
                                      .timeout_ms = 50000};
    int result_set = 0, error_set = 0, dlq_set = 0, c;
    while ((c = getopt_long(argc, argv, "b:u:f:t:n:g:s:X:vh", longopts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'b':
            opt->brokers = optarg;
            break;
        case 'u':
            opt->url = optarg;
            break;
        case 'f':
            opt->function = optarg;
            break;
        case 't':
            opt->topic = optarg;
            break;
        case 'n':
            opt->name = optarg;
            break;
        case 'g':
            opt->group = optarg;
            break;
        case 's':
            opt->result_topic = topic_or_none(optarg);
            result_set = 1;
            break;
        case 'v':
            opt->verbose = 1;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case '?':
            fprintf(stderr, "Try '" PROG " --help'.\n");
            return -1;
        default:
            error_set |= c == O_ERROR_TOPIC;
            dlq_set |= c == O_DLQ_TOPIC;
            rc = parse_own(c, optarg, opt);
        }
        if (rc != 0)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, PROG ": unexpected argument '%s'; try '" PROG " --help'\n", argv[optind]);
        return -1;
    }
    derive_names(opt, result_set, error_set, dlq_set);
    return opt->print_properties ? 0 : check_required(opt);
}

void connector_options_print(FILE *f, const struct connector_options *opt)
{
    fprintf(f,
            "name=%s\ntopics=%s\ntasks.max=%ld\naws.lambda.function.name=%s\n"
            "aws.lambda.invocation.type=sync\naws.lambda.batch.size=%ld\n"
            "input.data.format=%s\nrecord.converter.class=%s\nbehavior.on.error=%s\n"
            "reporter.result.topic.name=%s\nreporter.error.topic.name=%s\n",
            opt->name, opt->topic, opt->tasks_max, opt->function, opt->batch_size,
            connector_format_name(opt->format), connector_converter_name(opt->converter),
            connector_on_error_name(opt->on_error), opt->result_topic ? opt->result_topic : "",
            opt->error_topic ? opt->error_topic : "");
}
