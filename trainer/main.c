/* train_main.c: build/train, the leaderboard and the artifact writer.
 * Wires the data source, the cross-validation plan, the leaderboard and the
 * artifact together; see model/README.md. */
#include "trainer/artifact.h"
#include "trainer/cv.h"
#include "trainer/dataset.h"
#include "trainer/kafka_source.h"
#include "trainer/leaderboard.h"
#include "trainer/learner.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEED 9007199254740991ULL /* 2^53 - 1: exact in the artifact's JSON number */

static void usage(FILE *out)
{
    fprintf(out, "usage: train [options]\n"
                 "       train --from-kafka -b BROKERS -t TOPIC [-F PROPS] [--max N] [options]\n"
                 "\n"
                 "Cross-validates every model family on labelled iris data, prints an\n"
                 "H2O-style leaderboard, refits the leader on all the data and writes it\n"
                 "as a model artifact (format: model/README.md).\n"
                 "\n"
                 "data:\n"
                 "  -d, --data FILE       CSV with sepal_length, sepal_width, petal_length,\n"
                 "                        petal_width, species (default model/iris.csv)\n"
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
                 "  -o, --output FILE     artifact path (default model/iris-model.json; - for\n"
                 "                        standard output)\n"
                 "  -n, --no-write        do not write the artifact\n"
                 "      --json            print the leaderboard as JSON instead of a table\n"
                 "  -h, --help            this text\n");
}

static int parse_count(const char *opt, const char *s, unsigned long long lo, unsigned long long hi,
                       unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || *s == '-' || v < lo || v > hi) {
        fprintf(stderr, "train: %s: expected a whole number in [%llu, %llu], got \"%s\"\n", opt, lo,
                hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

enum { OPT_FROM_KAFKA = 256, OPT_MAX, OPT_JSON };

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
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
        {"no-write", no_argument, NULL, 'n'},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *data = "model/iris.csv", *out = "model/iris-model.json", *families = NULL;
    const char *brokers = NULL, *topic = NULL, *props = NULL;
    unsigned long long seed = 1, repeats = 10, folds = 5, threads = 2, max = 0;
    int from_kafka = 0, write = 1, json = 0, c;
    while ((c = getopt_long(argc, argv, "d:b:t:F:s:r:k:f:j:o:nh", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case OPT_FROM_KAFKA:
            from_kafka = 1;
            break;
        case 'b':
            brokers = optarg;
            break;
        case 't':
            topic = optarg;
            break;
        case 'F':
            props = optarg;
            break;
        case OPT_MAX:
            bad = parse_count("--max", optarg, 1, 1ULL << 40, &max);
            break;
        case 's':
            bad = parse_count("--seed", optarg, 0, MAX_SEED, &seed);
            break;
        case 'r':
            bad = parse_count("--repeats", optarg, 1, 1000, &repeats);
            break;
        case 'k':
            bad = parse_count("--folds", optarg, 2, 100, &folds);
            break;
        case 'f':
            families = optarg;
            break;
        case 'j':
            bad = parse_count("--threads", optarg, 1, 64, &threads);
            break;
        case 'o':
            out = optarg;
            break;
        case 'n':
            write = 0;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (bad)
            return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "train: unexpected argument \"%s\" (see train --help)\n", argv[optind]);
        return 2;
    }
    if (from_kafka && (!brokers || !topic)) {
        fprintf(stderr, "train: --from-kafka needs -b BROKERS and -t TOPIC\n");
        return 2;
    }
    if (json && write && strcmp(out, "-") == 0) {
        fprintf(stderr, "train: --json and -o - both write to standard output; pick one\n");
        return 2;
    }
    if (!from_kafka && (brokers || topic || props || max)) {
        fprintf(stderr, "train: -b, -t, -F and --max only apply with --from-kafka\n");
        return 2;
    }

    int rc = 1;
    char err[512];
    dataset *d = NULL;
    cv_plan plan = {0};
    leaderboard lb = {0};
    learner_model leader = {0};
    learner_spec specs[128];
    size_t nspecs = leaderboard_candidates(specs, 128, families, err, sizeof err);
    if (nspecs == 0) {
        fprintf(stderr, "train: --families: %s\n", err);
        return 2;
    }
    if (from_kafka)
        d = kafka_source_read(brokers, topic, props, (size_t)max, (size_t)folds, err, sizeof err);
    else
        d = dataset_load_csv(data, (size_t)folds, err, sizeof err);
    if (!d) {
        fprintf(stderr, "train: %s\n", err);
        goto cleanup;
    }
    if (cv_plan_make(&plan, d->y, d->n, DATASET_NCLASSES, (size_t)repeats, (size_t)folds, seed) !=
            0 ||
        leaderboard_run(&lb, specs, nspecs, d, &plan, (size_t)threads, err, sizeof err) != 0) {
        fprintf(stderr, "train: %s\n", plan.fold ? err : "out of memory");
        goto cleanup;
    }
    if (json) {
        cJSON *o = cJSON_CreateObject(), *rows = leaderboard_json(&lb);
        char *text = NULL;
        if (o && cJSON_AddStringToObject(o, "data", d->source) &&
            cJSON_AddStringToObject(o, "sha256", d->sha256) &&
            cJSON_AddNumberToObject(o, "rows", (double)d->n) &&
            cJSON_AddNumberToObject(o, "seed", (double)seed) &&
            cJSON_AddNumberToObject(o, "repeats", (double)repeats) &&
            cJSON_AddNumberToObject(o, "folds", (double)folds) &&
            cJSON_AddItemToObject(o, "leaderboard", rows))
            text = cJSON_Print(o);
        else if (o)
            cJSON_Delete(rows);
        cJSON_Delete(o);
        if (!text) {
            fprintf(stderr, "train: out of memory\n");
            goto cleanup;
        }
        puts(text);
        free(text);
    } else {
        printf("leaderboard: %s (%zu rows, sha256 %.12s...), %llux%llu-fold stratified CV, "
               "seed %llu\n",
               d->source, d->n, d->sha256, repeats, folds, seed);
        leaderboard_print(&lb, stdout);
    }
    fprintf(json ? stderr : stdout,
            "leaderboard time: %.3f s (%zu models x %llu fits, %llu threads)\n", lb.seconds, nspecs,
            repeats * folds, threads);
    const leaderboard_row *best = leaderboard_leader(&lb);
    if (write) {
        artifact_training t = {.data = d, .seed = seed, .lb = &lb, .leader = best};
        if (learner_train(&leader, &best->spec, d->x, d->y, d->n, DATASET_NCLASSES, err,
                          sizeof err) != 0 ||
            artifact_write(out, &leader, &t, err, sizeof err) != 0) {
            fprintf(stderr, "train: leader %s: %s\n", best->spec.id, err);
            goto cleanup;
        }
        if (strcmp(out, "-") != 0)
            fprintf(json ? stderr : stdout, "wrote %s: leader %s refit on all %zu rows\n", out,
                    best->spec.id, d->n);
    }
    rc = 0;
cleanup:
    learner_model_clear(&leader);
    leaderboard_clear(&lb);
    cv_plan_clear(&plan);
    dataset_free(d);
    return rc;
}
