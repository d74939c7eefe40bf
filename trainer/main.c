/* main.c: build/train, the leaderboard and the artifact writer.
 * Wires the data source, the cross-validation plan, the leaderboard and the
 * artifact together; see model/README.md. */
#include "trainer/artifact.h"
#include "common/opts.h"
#include "trainer/cv.h"
#include "trainer/trainset.h"
#include "trainer/kafka_source.h"
#include "trainer/leaderboard.h"
#include "trainer/leaderboard_svg.h"
#include "trainer/learner.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_SEED 9007199254740991ULL /* 2^53 - 1: exact in the artifact's JSON number */
/* Where a run without -o writes: beside the build, never over the shipped
 * model/iris-model.json (make model rewrites that one explicitly). */
#define TRAIN_DEFAULT_DIR "build"
#define TRAIN_DEFAULT_OUT TRAIN_DEFAULT_DIR "/iris-model.json"
#define TRAIN_DEFAULT_REPORT TRAIN_DEFAULT_DIR "/iris-training.json"

static void usage(FILE *out)
{
    fprintf(out, "usage: train [options]\n"
                 "       train --from-kafka -b BROKERS -t TOPIC [-F PROPS] [--max N] [options]\n"
                 "\n"
                 "Cross-validates every model family on labelled tabular data (iris by\n"
                 "default), prints an H2O-style leaderboard, refits the leader on all the\n"
                 "data and writes it as a model artifact (format: model/README.md).\n"
                 "\n"
                 "data:\n"
                 "  -d, --data FILE       CSV with a header: numeric feature columns and one\n"
                 "                        label column (default model/iris.csv)\n"
                 "  -l, --label COLUMN    the label column or field (default species); every\n"
                 "                        other column is a feature\n"
                 "      --from-kafka      read labelled JSON records from a Kafka topic instead,\n"
                 "                        from the beginning up to --max records or the end\n"
                 "  -b, --brokers LIST    Kafka bootstrap servers (with --from-kafka)\n"
                 "  -t, --topic NAME      Kafka topic (with --from-kafka)\n"
                 "  -F, --config FILE     librdkafka properties file (key=value lines)\n"
                 "      --max N           read at most N records (default: all)\n"
                 "cross-validation:\n"
                 "  -s, --seed N          fold seed (default 1); same seed, same output\n"
                 "  -r, --repeats N       repeats of the k-fold split (default 10)\n"
                 "  -k, --folds N         folds (default 5)\n"
                 "  -f, --families LIST   only these families, e.g. glm,lda (default: all of\n"
                 "                        glm, lda, qda, gnb, knn, gbm)\n"
                 "  -j, --threads N       worker threads (default 2; results do not depend on it)\n"
                 "output:\n"
                 "  -o, --output FILE     artifact path (- for standard output); without -o,\n"
                 "                        " TRAIN_DEFAULT_OUT " and its report " TRAIN_DEFAULT_REPORT "\n"
                 "                        (the shipped model/iris-model.json is rewritten only\n"
                 "                        when asked: make model, or -o model/iris-model.json)\n"
                 "      --report FILE     also write the training report (data, seed, CV\n"
                 "                        scores, leaderboard) to FILE; - for standard output\n"
                 "      --leaderboard-svg FILE  the leaderboard chart written with --report\n"
                 "                        (default: the report's path with .svg)\n"
                 "  -n, --no-write        do not write the artifact or the report\n"
                 "      --json            print the leaderboard as JSON instead of a table\n"
                 "  -h, --help            this text\n");
}

static int parse_count(const char *opt, const char *s, unsigned long long lo, unsigned long long hi,
                       unsigned long long *out)
{
    if (opts_whole_number(s, lo, hi, out) != 0) {
        fprintf(stderr, "train: %s: expected a whole number in [%llu, %llu], got \"%s\"\n", opt, lo,
                hi, s);
        return -1;
    }
    return 0;
}

enum { OPT_FROM_KAFKA = 256, OPT_MAX, OPT_JSON, OPT_REPORT, OPT_LEADERBOARD_SVG };

typedef struct {
    const char *data, *label, *out, *report, *svg, *families, *brokers, *topic, *props;
    unsigned long long seed, repeats, folds, threads, max;
    int from_kafka, write, json;
    int default_out; /* no -o: artifact and report go to TRAIN_DEFAULT_DIR */
} train_options;

/* One option; returns 0, or 2 for a bad value (the message printed). */
static int option_set(train_options *o, int c, const char *arg)
{
    switch (c) {
    case 'd':
        o->data = arg;
        return 0;
    case 'l':
        o->label = arg;
        return 0;
    case OPT_FROM_KAFKA:
        o->from_kafka = 1;
        return 0;
    case 'b':
        o->brokers = arg;
        return 0;
    case 't':
        o->topic = arg;
        return 0;
    case 'F':
        o->props = arg;
        return 0;
    case OPT_MAX:
        return parse_count("--max", arg, 1, 1ULL << 40, &o->max) ? 2 : 0;
    case 's':
        return parse_count("--seed", arg, 0, MAX_SEED, &o->seed) ? 2 : 0;
    case 'r':
        return parse_count("--repeats", arg, 1, 1000, &o->repeats) ? 2 : 0;
    case 'k':
        return parse_count("--folds", arg, 2, 100, &o->folds) ? 2 : 0;
    case 'f':
        o->families = arg;
        return 0;
    case 'j':
        return parse_count("--threads", arg, 1, 64, &o->threads) ? 2 : 0;
    case 'o':
        o->out = arg;
        return 0;
    case OPT_REPORT:
        o->report = arg;
        return 0;
    case OPT_LEADERBOARD_SVG:
        o->svg = arg;
        return 0;
    case 'n':
        o->write = 0;
        return 0;
    case OPT_JSON:
        o->json = 1;
        return 0;
    }
    usage(stderr);
    return 2;
}

/* Options that only make sense together; returns 0 or 2. */
static int options_check(const train_options *o)
{
    if (o->from_kafka && (!o->brokers || !o->topic)) {
        fprintf(stderr, "train: --from-kafka needs -b BROKERS and -t TOPIC\n");
        return 2;
    }
    if (o->json && o->write && strcmp(o->out, "-") == 0) {
        fprintf(stderr, "train: --json and -o - both write to standard output; pick one\n");
        return 2;
    }
    if (o->write && o->report && strcmp(o->report, "-") == 0 &&
        (o->json || strcmp(o->out, "-") == 0)) {
        fprintf(stderr, "train: --report - and %s both write to standard output; pick one\n",
                o->json ? "--json" : "-o -");
        return 2;
    }
    if (!o->from_kafka && (o->brokers || o->topic || o->props || o->max)) {
        fprintf(stderr, "train: -b, -t, -F and --max only apply with --from-kafka\n");
        return 2;
    }
    return 0;
}

/* Returns 0 to go on, 1 when --help was printed, 2 for a usage error. */
static int options_parse(int argc, char **argv, train_options *o)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"label", required_argument, NULL, 'l'},
        {"from-kafka", no_argument, NULL, OPT_FROM_KAFKA},
        {"brokers", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"config", required_argument, NULL, 'F'},
        {"max", required_argument, NULL, OPT_MAX},
        {"seed", required_argument, NULL, 's'},
        {"repeats", required_argument, NULL, 'r'},
        {"folds", required_argument, NULL, 'k'},
        {"families", required_argument, NULL, 'f'},
        {"threads", required_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'},
        {"report", required_argument, NULL, OPT_REPORT},
        {"leaderboard-svg", required_argument, NULL, OPT_LEADERBOARD_SVG},
        {"no-write", no_argument, NULL, 'n'},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (train_options){.data = "model/iris.csv",
                         .label = "species",
                         .seed = 1,
                         .repeats = 10,
                         .folds = 5,
                         .threads = 2,
                         .write = 1};
    int c;
    while ((c = getopt_long(argc, argv, "d:l:b:t:F:s:r:k:f:j:o:nh", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 1;
        }
        if (option_set(o, c, optarg) != 0)
            return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "train: unexpected argument \"%s\" (see train --help)\n", argv[optind]);
        return 2;
    }
    if (o->out == NULL) {
        o->default_out = 1;
        o->out = TRAIN_DEFAULT_OUT;
        if (o->report == NULL)
            o->report = TRAIN_DEFAULT_REPORT;
    }
    return options_check(o);
}

static int print_json(const train_options *o, const trainset *d, const leaderboard *lb)
{
    cJSON *root = cJSON_CreateObject(), *rows = leaderboard_json(lb);
    char *text = NULL;
    if (root && cJSON_AddStringToObject(root, "data", d->source) &&
        cJSON_AddStringToObject(root, "sha256", d->sha256) &&
        cJSON_AddNumberToObject(root, "rows", (double)d->n) &&
        cJSON_AddNumberToObject(root, "seed", (double)o->seed) &&
        cJSON_AddNumberToObject(root, "repeats", (double)o->repeats) &&
        cJSON_AddNumberToObject(root, "folds", (double)o->folds) &&
        cJSON_AddItemToObject(root, "leaderboard", rows))
        text = cJSON_Print(root);
    else if (root)
        cJSON_Delete(rows);
    cJSON_Delete(root);
    if (!text) {
        fprintf(stderr, "train: out of memory\n");
        return -1;
    }
    puts(text);
    free(text);
    return 0;
}

static int print_leaderboard(const train_options *o, const trainset *d, const leaderboard *lb,
                             size_t nspecs)
{
    if (o->json) {
        if (print_json(o, d, lb) != 0)
            return -1;
    } else {
        printf("leaderboard: %s (%zu rows, sha256 %.12s...), %llux%llu-fold stratified CV, "
               "seed %llu\n",
               d->source, d->n, d->sha256, o->repeats, o->folds, o->seed);
        leaderboard_print(lb, stdout);
    }
    fprintf(o->json ? stderr : stdout,
            "leaderboard time: %.3f s (%zu models x %llu fits, %llu threads)\n", lb->seconds,
            nspecs, o->repeats * o->folds, o->threads);
    return 0;
}

/* The leaderboard chart: to --leaderboard-svg FILE, else beside a --report
 * FILE (not standard output). */
static int write_chart(const train_options *o, const trainset *d, const leaderboard *lb)
{
    char path[4096], caption[512], err[600];
    const char *p = o->svg;
    if (!p && o->report && strcmp(o->report, "-") != 0) {
        if (leaderboard_svg_path(o->report, path, sizeof path) != 0) {
            fprintf(stderr, "train: --report %s: path too long for the chart beside it\n",
                    o->report);
            return -1;
        }
        p = path;
    }
    if (!p)
        return 0;
    snprintf(caption, sizeof caption, "%s, %zu rows, seed %llu", d->source, d->n, o->seed);
    if (leaderboard_svg_write(p, lb, caption, err, sizeof err) != 0) {
        fprintf(stderr, "train: leaderboard chart: %s\n", err);
        return -1;
    }
    fprintf(o->json ? stderr : stdout, "wrote %s: the leaderboard chart\n", p);
    return 0;
}

/* Refits the leader on all rows and writes its artifact (and report and chart). */
static int write_leader(const train_options *o, const trainset *d, const leaderboard *lb)
{
    const leaderboard_row *best = leaderboard_leader(lb);
    learner_model leader = {0};
    artifact_training t = {.data = d, .seed = o->seed, .lb = lb, .leader = best};
    char err[512];
    int rc = -1;
    if (o->default_out && mkdir(TRAIN_DEFAULT_DIR, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "train: cannot create %s/ for the artifact: %s (choose a path with -o)\n",
                TRAIN_DEFAULT_DIR, strerror(errno));
        goto cleanup;
    }
    if (learner_train(&leader, &best->spec, d->x, d->y, d->n, d->nfeatures, d->nclasses, err,
                      sizeof err) != 0 ||
        artifact_write(o->out, &leader, &t, err, sizeof err) != 0) {
        fprintf(stderr, "train: leader %s: %s\n", best->spec.id, err);
        goto cleanup;
    }
    if (o->report && artifact_report_write(o->report, &leader, &t, err, sizeof err) != 0) {
        fprintf(stderr, "train: training report: %s\n", err);
        goto cleanup;
    }
    if (strcmp(o->out, "-") != 0)
        fprintf(o->json ? stderr : stdout, "wrote %s: leader %s refit on all %zu rows\n", o->out,
                best->spec.id, d->n);
    if (o->report && strcmp(o->report, "-") != 0)
        fprintf(o->json ? stderr : stdout, "wrote %s: the training report\n", o->report);
    if (write_chart(o, d, lb) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    learner_model_clear(&leader);
    return rc;
}

int main(int argc, char **argv)
{
    train_options o;
    int parsed = options_parse(argc, argv, &o);
    if (parsed != 0)
        return parsed == 1 ? 0 : 2;
    int rc = 1;
    char err[512];
    trainset *d = NULL;
    cv_plan plan = {0};
    leaderboard lb = {0};
    learner_spec specs[128];
    size_t nspecs = leaderboard_candidates(specs, 128, o.families, err, sizeof err);
    if (nspecs == 0) {
        fprintf(stderr, "train: --families: %s\n", err);
        return 2;
    }
    d = o.from_kafka ? kafka_source_read(o.brokers, o.topic, o.props, o.label, (size_t)o.max,
                                         (size_t)o.folds, err, sizeof err)
                     : trainset_load_csv(o.data, o.label, (size_t)o.folds, err, sizeof err);
    if (!d) {
        fprintf(stderr, "train: %s\n", err);
        goto cleanup;
    }
    if (cv_plan_make(&plan, d->y, d->n, d->nclasses, (size_t)o.repeats, (size_t)o.folds, o.seed) !=
            0 ||
        leaderboard_run(&lb, specs, nspecs, d, &plan, (size_t)o.threads, err, sizeof err) != 0) {
        fprintf(stderr, "train: %s\n", plan.fold ? err : "out of memory");
        goto cleanup;
    }
    if (print_leaderboard(&o, d, &lb, nspecs) != 0 || (o.write && write_leader(&o, d, &lb) != 0))
        goto cleanup;
    rc = 0;
cleanup:
    leaderboard_clear(&lb);
    cv_plan_clear(&plan);
    trainset_free(d);
    return rc;
}
