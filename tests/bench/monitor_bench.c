/* monitor_bench.c: make bench-monitor: the sequential policy with the
 * template's defaults beside the old per-batch threshold policy (accuracy
 * below 90% on at least 10 labelled records), on the same simulated streams
 * (tests/lib/monitor_sim.h), for batches of 1, 20 and 500:
 *   - false alerts per million clean records;
 *   - detection delay, in records after the change, when accuracy drops to
 *     60%, to 80% and to 50%, and when petal length reads 1 cm more on
 *     unlabelled records: median and 95th percentile over TRIALS streams.
 * Usage: monitor_bench MODEL CSV [CLEAN_RECORDS [TRIALS]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/monitor_sim.h"

#define LIMIT 20000

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static void false_alerts(const sim_data *d, enum sim_policy p, size_t batch_size, size_t records,
                         char *out, size_t outlen)
{
    sim_stream s = sim_stream_make(SIM_NONE, 0, batch_size, records, 0, 1000 + batch_size);
    sim_result r;
    sim_run(d, p, &s, &r);
    snprintf(out, outlen, "%.1f (%zu in %.1f M)", (double)r.alerts_before * 1e6 / (double)records,
             r.alerts_before, (double)records / 1e6);
}

static void delay(const sim_data *d, enum sim_policy p, size_t batch_size, enum sim_change c,
                  double value, size_t trials, char *out, size_t outlen)
{
    size_t *delays = calloc(trials, sizeof *delays), found = 0;
    for (size_t t = 0; t < trials; t++) {
        sim_stream s =
            sim_stream_make(c, value, batch_size, 1000, LIMIT, 7919 * (t + 1) + batch_size);
        sim_result r;
        sim_run(d, p, &s, &r);
        if (r.detected)
            delays[found++] = r.delay;
    }
    if (found == 0) {
        snprintf(out, outlen, "never (0 of %zu)", trials);
    } else {
        qsort(delays, found, sizeof *delays, cmp_size);
        size_t p95 = delays[(size_t)(0.95 * (double)(found - 1) + 0.5)];
        if (found == trials)
            snprintf(out, outlen, "%zu / %zu", delays[(found - 1) / 2], p95);
        else
            snprintf(out, outlen, "%zu / %zu (%zu of %zu detected)", delays[(found - 1) / 2], p95,
                     found, trials);
    }
    free(delays);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: monitor_bench MODEL CSV [CLEAN_RECORDS [TRIALS]]\n");
        return 2;
    }
    size_t clean = argc > 3 ? strtoul(argv[3], NULL, 10) : 4000000;
    size_t trials = argc > 4 ? strtoul(argv[4], NULL, 10) : 200;
    char err[512];
    sim_data d;
    if (sim_load(&d, argv[1], argv[2], err, sizeof err) != 0) {
        fprintf(stderr, "monitor_bench: %s\n", err);
        return 1;
    }
    static const size_t batches[] = {1, 20, 500};
    static const struct {
        const char *name;
        enum sim_change change;
        double value;
    } changes[] = {
        {"delay, accuracy -> 60% (records: median / p95)", SIM_ACCURACY, 0.60},
        {"delay, accuracy -> 80%", SIM_ACCURACY, 0.80},
        {"delay, accuracy -> 50%", SIM_ACCURACY, 0.50},
        {"delay, unlabelled, petal length +1 cm", SIM_INPUTS, 1.0},
        {"delay, unlabelled, petal length +0.5 cm", SIM_INPUTS, 0.5},
    };
    printf("bench-monitor: model %s (clean accuracy on the rows %.1f%%), %zu clean records per "
           "batch size, %zu streams per delay (change after 1,000 clean records, given up %d "
           "records later)\n\n",
           model_id(d.model), 100 * d.clean_accuracy, clean, trials, LIMIT);
    printf("| figure | batch | sequential (defaults) | old threshold (90%%, >= 10 labelled) |\n");
    printf("| --- | --- | --- | --- |\n");
    char a[96], b[96];
    for (size_t i = 0; i < 3; i++) {
        false_alerts(&d, SIM_SEQUENTIAL, batches[i], clean, a, sizeof a);
        false_alerts(&d, SIM_THRESHOLD, batches[i], clean, b, sizeof b);
        printf("| false alerts per million clean records | %zu | %s | %s |\n", batches[i], a, b);
    }
    for (size_t c = 0; c < sizeof changes / sizeof changes[0]; c++)
        for (size_t i = 0; i < 3; i++) {
            delay(&d, SIM_SEQUENTIAL, batches[i], changes[c].change, changes[c].value, trials, a,
                  sizeof a);
            delay(&d, SIM_THRESHOLD, batches[i], changes[c].change, changes[c].value, trials, b,
                  sizeof b);
            printf("| %s | %zu | %s | %s |\n", changes[c].name, batches[i], a, b);
        }
    sim_free(&d);
    return 0;
}
