/* Unit tests for producer/sampler, producer/record, producer/drift and
 * producer/rng: the record sequence, its JSON and the simulated drift. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer/rowset.h"
#include "producer/drift.h"
#include "producer/record.h"
#include "producer/prng.h"
#include "producer/sampler.h"

static const char csv[] = "sepal_length,sepal_width,petal_length,petal_width,species\n"
                          "5.1,3.5,1.4,0.2,setosa\n"
                          "7.0,3.2,4.7,1.4,versicolor\n"
                          "6.3,3.30,6.0,2.5,virginica\n";

static struct rowset *small(void)
{
    char err[256];
    struct rowset *ds = rowset_parse(csv, strlen(csv), "t.csv", err, sizeof(err));
    assert_non_null(ds);
    return ds;
}

static void record_json_keeps_text_and_escapes_species(void **state)
{
    (void)state;
    const char *f[ROWSET_FEATURES] = {"6.7", "3.30", "5.7", "2.5"};
    char *j = record_json(f, "virginica");
    assert_string_equal(j, "{\"sepalLength\":6.7,\"sepalWidth\":3.30,\"petalLength\":5.7,"
                           "\"petalWidth\":2.5,\"species\":\"virginica\"}");
    free(j);
    j = record_json(f, "a \"quoted\"\\name\n");
    assert_non_null(strstr(j, "\"species\":\"a \\\"quoted\\\"\\\\name\\n\"}"));
    free(j);
}

static void same_seed_same_sequence(void **state)
{
    (void)state;
    char err[256];
    struct rowset *ds = small();
    struct sampler *a = sampler_new(ds, 42, NULL, err, sizeof(err));
    struct sampler *b = sampler_new(ds, 42, NULL, err, sizeof(err));
    struct sampler *c = sampler_new(ds, 43, NULL, err, sizeof(err));
    int differs = 0;
    size_t counts[3] = {0};
    for (int i = 0; i < 3000; i++) {
        struct sample sa, sb, sc;
        assert_int_equal(sampler_next(a, &sa), 0);
        assert_int_equal(sampler_next(b, &sb), 0);
        assert_int_equal(sampler_next(c, &sc), 0);
        assert_string_equal(sa.json, sb.json);
        assert_true(sa.stable);
        assert_int_equal(sa.len, strlen(sa.json));
        assert_string_equal(sa.species, ds->species[ds->rows[sa.row].species]);
        differs |= sa.row != sc.row;
        counts[sa.row]++;
    }
    assert_true(differs);
    for (int r = 0; r < 3; r++)
        if (counts[r] < 900 || counts[r] > 1100)
            fail_msg("row %d drawn %zu times of 3000, expected about 1000", r, counts[r]);
    sampler_free(a);
    sampler_free(b);
    sampler_free(c);
    rowset_free(ds);
}

static void label_drift_after_threshold_always_changes_label(void **state)
{
    (void)state;
    char err[256];
    struct rowset *ds = small();
    struct drift d = {.after = 100, .labels = 1.0};
    struct sampler *s = sampler_new(ds, 7, &d, err, sizeof(err));
    size_t seen[3] = {0};
    for (int i = 0; i < 1000; i++) {
        struct sample smp;
        assert_int_equal(sampler_next(s, &smp), 0);
        const char *truth = ds->species[ds->rows[smp.row].species];
        if (i < 100) {
            assert_string_equal(smp.species, truth);
        } else {
            if (strcmp(smp.species, truth) == 0)
                fail_msg("record %d kept its true label %s", i, truth);
            for (size_t k = 0; k < 3; k++)
                seen[k] += strcmp(smp.species, ds->species[k]) == 0;
        }
        assert_non_null(strstr(smp.json, smp.species));
    }
    for (size_t k = 0; k < 3; k++)
        assert_true(seen[k] > 0); /* every wrong label occurs */
    sampler_free(s);
    rowset_free(ds);
}

static void drift_draws_the_same_rows_as_a_clean_run(void **state)
{
    (void)state;
    char err[256];
    struct rowset *ds = small();
    struct drift d = {.after = 10, .labels = 0.5, .features = 0.2};
    struct sampler *clean = sampler_new(ds, 99, NULL, err, sizeof(err));
    struct sampler *drifted = sampler_new(ds, 99, &d, err, sizeof(err));
    for (int i = 0; i < 500; i++) {
        struct sample a, b;
        assert_int_equal(sampler_next(clean, &a), 0);
        assert_int_equal(sampler_next(drifted, &b), 0);
        if (a.row != b.row)
            fail_msg("record %d: clean run drew row %zu, drifted run row %zu", i, a.row, b.row);
    }
    sampler_free(clean);
    sampler_free(drifted);
    rowset_free(ds);
}

static void feature_noise_keeps_precision_and_sign(void **state)
{
    (void)state;
    char err[256];
    struct rowset *ds = small();
    struct drift d = {.features = 5.0};
    struct sampler *s = sampler_new(ds, 3, &d, err, sizeof(err));
    int clamped = 0;
    for (int i = 0; i < 500; i++) {
        struct sample smp;
        double v[4];
        assert_int_equal(sampler_next(s, &smp), 0);
        assert_false(smp.stable);
        int n = sscanf(smp.json,
                       "{\"sepalLength\":%lf,\"sepalWidth\":%lf,\"petalLength\":%lf,"
                       "\"petalWidth\":%lf",
                       &v[0], &v[1], &v[2], &v[3]);
        assert_int_equal(n, 4);
        for (int f = 0; f < 4; f++) {
            assert_true(v[f] >= 0.0);
            clamped += v[f] == 0.0;
        }
        assert_null(strstr(smp.json, "-0"));
        /* each noisy number has its CSV text's decimals ("3.30": two) */
        const char *w = strstr(smp.json, "\"sepalWidth\":") + strlen("\"sepalWidth\":");
        const char *dot = strchr(w, '.');
        size_t decimals = strcspn(dot + 1, ",");
        if ((int)decimals != ds->rows[smp.row].decimals[1])
            fail_msg("row %zu: sepalWidth in %s: expected %d decimals", smp.row, smp.json,
                     ds->rows[smp.row].decimals[1]);
    }
    assert_true(clamped > 0); /* sd 5 pushes some below zero: clamped, not negative */
    sampler_free(s);
    rowset_free(ds);
}

static void label_drift_needs_two_species(void **state)
{
    (void)state;
    char err[256];
    const char one[] = "sepal_length,sepal_width,petal_length,petal_width,species\n"
                       "5.1,3.5,1.4,0.2,setosa\n";
    struct rowset *ds = rowset_parse(one, strlen(one), "t.csv", err, sizeof(err));
    struct drift d = {.labels = 0.5};
    assert_null(sampler_new(ds, 1, &d, err, sizeof(err)));
    assert_non_null(strstr(err, "only one species"));
    rowset_free(ds);
    sampler_free(NULL);
}

static const struct {
    const char *spec;
    int ok;
    uint64_t after;
    double labels, features;
    const char *error;
} drift_cases[] = {
    {"after=1000,labels=0.5", 1, 1000, 0.5, 0, NULL},
    {"features=0.3", 1, 0, 0, 0.3, NULL},
    {"labels=1,features=0.1,after=5", 1, 5, 1.0, 0.1, NULL},
    {"after=1000", 0, 0, 0, 0, "--drift: give labels=P and/or features=SD"},
    {"labels=1.5", 0, 0, 0, 0, "--drift: labels: expected a probability 0..1, got '1.5'"},
    {"labels=-0.1", 0, 0, 0, 0, "--drift: labels: expected a probability"},
    {"after=-1,labels=1", 0, 0, 0, 0, "--drift: after: expected a record count, got '-1'"},
    {"features=x", 0, 0, 0, 0, "--drift: features: expected a noise standard deviation"},
    {"labels", 0, 0, 0, 0, "--drift: expected key=value, got 'labels'"},
    {"speed=1", 0, 0, 0, 0, "--drift: unknown key 'speed'"},
};

static void parses_drift_specs(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(drift_cases) / sizeof(drift_cases[0]); i++) {
        struct drift d;
        char err[256] = "";
        int r = drift_parse(drift_cases[i].spec, &d, err, sizeof(err));
        if (drift_cases[i].ok) {
            if (r != 0 || d.after != drift_cases[i].after || d.labels != drift_cases[i].labels ||
                d.features != drift_cases[i].features)
                fail_msg("'%s': expected after=%llu labels=%g features=%g, got %s",
                         drift_cases[i].spec, (unsigned long long)drift_cases[i].after,
                         drift_cases[i].labels, drift_cases[i].features, r ? err : "other values");
        } else if (r == 0 || strncmp(err, drift_cases[i].error, strlen(drift_cases[i].error))) {
            fail_msg("'%s': expected error '%s', got '%s'", drift_cases[i].spec,
                     drift_cases[i].error, r ? err : "(accepted)");
        }
    }
    struct drift d = {.after = 10, .labels = 0.5};
    assert_false(drift_applies(&d, 9));
    assert_true(drift_applies(&d, 10));
}

static void rng_is_uniform_and_normal(void **state)
{
    (void)state;
    struct prng r;
    prng_seed(&r, 0);
    double sum = 0, sq = 0;
    size_t below[7] = {0};
    for (int i = 0; i < 70000; i++) {
        below[prng_below(&r, 7)]++;
        double u = prng_unit(&r);
        assert_true(u >= 0.0 && u < 1.0);
        double n = prng_normal(&r);
        sum += n;
        sq += n * n;
    }
    for (int k = 0; k < 7; k++)
        assert_true(below[k] > 9500 && below[k] < 10500);
    assert_true(fabs(sum / 70000) < 0.02);
    assert_true(fabs(sq / 70000 - 1.0) < 0.03);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(record_json_keeps_text_and_escapes_species),
        cmocka_unit_test(same_seed_same_sequence),
        cmocka_unit_test(label_drift_after_threshold_always_changes_label),
        cmocka_unit_test(drift_draws_the_same_rows_as_a_clean_run),
        cmocka_unit_test(feature_noise_keeps_precision_and_sign),
        cmocka_unit_test(label_drift_needs_two_species),
        cmocka_unit_test(parses_drift_specs),
        cmocka_unit_test(rng_is_uniform_and_normal),
    };
    return cmocka_run_group_tests_name("producer_sampler", tests, NULL, NULL);
}
