/* test_leaderboard_svg.c: trainer/leaderboard_svg's chart on given rows, with
 * every coordinate worked out by hand: bar lengths proportional to the mean
 * per-class error on a round axis, the one-standard-error line at the best
 * row's error plus its standard error, the chosen row marked once, failed rows
 * without a bar, markup and bad bytes in names escaped, and the file written
 * whole through a rename. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "trainer/leaderboard_svg.h"

typedef struct {
    const char *id;
    double mpce, se;
    int within_noise, failed;
} row_spec;

static leaderboard board(leaderboard_row *rows, const row_spec *spec, size_t n, size_t leader)
{
    leaderboard lb;
    memset(&lb, 0, sizeof lb);
    memset(rows, 0, n * sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        rows[i].spec.family = &learner_lda;
        snprintf(rows[i].spec.id, sizeof rows[i].spec.id, "%s", spec[i].id);
        rows[i].metrics.mean_per_class_error = spec[i].mpce;
        rows[i].mpce_se = spec[i].se;
        rows[i].within_noise = spec[i].within_noise;
        rows[i].failed = spec[i].failed;
        if (spec[i].failed)
            snprintf(rows[i].error, sizeof rows[i].error, "repeat 1 fold 2: singular");
        rows[i].order = i;
    }
    lb.rows = rows;
    lb.nrows = n;
    lb.repeats = 10;
    lb.folds = 5;
    lb.leader = leader;
    return lb;
}

/* The chart as a string (free it). */
static char *render(const leaderboard *lb, const char *caption)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(leaderboard_svg_print(lb, caption, f), 0);
    assert_int_equal(fclose(f), 0);
    return text;
}

/* The chart of n rows as spec says, row `leader` chosen, as a string (free it). */
static char *chart(const row_spec *spec, size_t n, size_t leader, const char *caption)
{
    leaderboard_row rows[4];
    assert_true(n <= sizeof rows / sizeof rows[0]);
    leaderboard lb = board(rows, spec, n, leader);
    return render(&lb, caption);
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void expect_in(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("expected the chart to contain %s; got:\n%s", needle, text);
}

static void bars_are_proportional_on_a_round_axis(void **state)
{
    (void)state;
    /* The largest error plus its standard error is 0.054; with 4% headroom
     * 0.05616, an eighth of it 0.00702 rounds up to a step of 0.01, so the axis
     * runs 0..0.06 over 420 units from x = 300: 0.02 -> 140, 0.03 -> 210,
     * 0.05 -> 350.  The one-standard-error line at 0.02 + 0.001 = 0.021 ->
     * 300 + 147 = 447.  Error bar of the middle row: 0.028..0.032 -> 496..524. */
    const row_spec spec[] = {{"qda_reg_0.75", 0.02, 0.001, 1, 0},
                             {"lda_shrinkage_0", 0.03, 0.002, 1, 0},
                             {"gbm_depth_2", 0.05, 0.004, 0, 0}};
    char *svg = chart(spec, 3, 1, "model/iris.csv, 150 rows, seed 1");
    expect_in(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ");
    assert_int_equal(count(svg, "<rect class=\"bar"), 3);
    assert_int_equal(count(svg, "class=\"bar leader\""), 1);
    expect_in(svg,
              "<rect class=\"bar leader\" data-model=\"lda_shrinkage_0\" data-mpce=\"0.029999");
    expect_in(svg, "width=\"140.000\"");
    expect_in(svg, "width=\"210.000\"");
    expect_in(svg, "width=\"350.000\"");
    expect_in(svg, "<line x1=\"496.000\" y1=\"130.0\" x2=\"524.000\" y2=\"130.0\"/>");
    expect_in(svg, "class=\"one-se\" data-value=\"0.021");
    expect_in(svg, "x1=\"447.000\"");
    assert_int_equal(count(svg, "&#9664; chosen</text>"), 1);
    for (int k = 0; k <= 6; k++) {
        char tick[32];
        snprintf(tick, sizeof tick, ">%d%%</text>", k);
        expect_in(svg, tick);
    }
    assert_null(strstr(svg, ">7%</text>"));
    expect_in(svg, "model/iris.csv, 150 rows, seed 1; 10 x 5-fold CV");
    assert_true(strlen(svg) > 0 && strcmp(svg + strlen(svg) - 7, "</svg>\n") == 0);
    free(svg);
}

static void colours_tell_chosen_within_noise_and_others_apart(void **state)
{
    (void)state;
    const row_spec spec[] = {
        {"a", 0.02, 0.001, 1, 0}, {"b", 0.021, 0.001, 1, 0}, {"c", 0.05, 0.002, 0, 0}};
    char *svg = chart(spec, 3, 0, NULL);
    expect_in(svg, "data-model=\"a\"");
    const char *a = strstr(svg, "data-model=\"a\""), *b = strstr(svg, "data-model=\"b\""),
               *c = strstr(svg, "data-model=\"c\"");
    assert_non_null(strstr(a, "fill=\"#e8731a\""));
    assert_true(strstr(a, "fill=\"#e8731a\"") < b); /* the chosen one: orange */
    assert_true(strstr(b, "fill=\"#4c78a8\"") < c); /* within noise: blue */
    assert_non_null(strstr(c, "fill=\"#b3c3d3\"")); /* the others: grey */
    free(svg);
}

static void a_failed_row_has_no_bar_and_says_why(void **state)
{
    (void)state;
    const row_spec spec[] = {{"lda_shrinkage_0", 0.02, 0.001, 1, 0},
                             {"glm_lambda_0", 0.04, 0.003, 0, 0},
                             {"qda_reg_0", 0, 0, 0, 1}};
    char *svg = chart(spec, 3, 0, NULL);
    assert_int_equal(count(svg, "<rect class=\"bar"), 2);
    assert_null(strstr(svg, "data-model=\"qda_reg_0\""));
    expect_in(svg, ">qda_reg_0</text>");
    expect_in(svg, ">failed: repeat 1 fold 2: singular</text>");
    free(svg);
}

static void perfect_scores_still_give_a_finite_axis(void **state)
{
    (void)state;
    /* Errors all 0: the axis is for 0.01; 0.0104 / 8 = 0.0013 rounds up to
     * 0.002, six steps to 0.012 (ticks 0, 0.2, ..., 1.2%). */
    const row_spec spec[] = {{"glm", 0, 0, 1, 0}, {"lda", 0, 0, 1, 0}};
    char *svg = chart(spec, 2, 0, NULL);
    assert_null(strstr(svg, "nan"));
    assert_null(strstr(svg, "inf"));
    expect_in(svg, ">1.2%</text>");
    expect_in(svg, ">0.2%</text>");
    assert_null(strstr(svg, ">1.4%</text>"));
    expect_in(svg, "width=\"0.000\"");
    free(svg);
}

static void markup_and_bad_bytes_are_escaped(void **state)
{
    (void)state;
    const row_spec spec[] = {{"a<b&\"c'>", 0.02, 0.001, 1, 0}};
    /* A caption (a file name) with a control character, a stray continuation
     * byte, an overlong '/', a surrogate, a truncated sequence and valid é and
     * an emoji. */
    char *svg =
        chart(spec, 1, 0, "d\x01/\x80x\xC0\xAFy\xED\xA0\x80z\xC3 caf\xC3\xA9 \xF0\x9F\x8C\xB8");
    expect_in(svg, "data-model=\"a&lt;b&amp;&quot;c&apos;&gt;\"");
    expect_in(svg, ">a&lt;b&amp;&quot;c&apos;&gt;</text>");
    expect_in(svg, "d?/?x??y???z? caf\xC3\xA9 \xF0\x9F\x8C\xB8; 10 x 5-fold");
    free(svg);
}

static void default_path_replaces_the_extension(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"model/iris-training.json", "model/iris-training.svg"},
        {"report", "report.svg"},
        {"dir.d/report", "dir.d/report.svg"},
        {".hidden", ".hidden.svg"},
        {"a/b.c.json", "a/b.c.svg"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        assert_int_equal(leaderboard_svg_path(cases[i][0], out, sizeof out), 0);
        assert_string_equal(out, cases[i][1]);
    }
    char tiny[8];
    assert_int_equal(leaderboard_svg_path("model/iris-training.json", tiny, sizeof tiny), -1);
}

static void the_file_is_written_whole_or_the_error_names_it(void **state)
{
    (void)state;
    const row_spec spec[] = {{"lda", 0.02, 0.001, 1, 0}};
    leaderboard_row rows[1];
    leaderboard lb = board(rows, spec, 1, 0);
    char dir[] = "/tmp/test-leaderboard-svg-XXXXXX", path[128], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/chart.svg", dir);
    assert_int_equal(leaderboard_svg_write(path, &lb, "cap", err, sizeof err), 0);
    char *want = render(&lb, "cap");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *got = calloc(1, strlen(want) + 2);
    assert_non_null(got);
    size_t n = fread(got, 1, strlen(want) + 1, f);
    fclose(f);
    assert_int_equal(n, strlen(want));
    assert_string_equal(got, want);
    free(got);
    free(want);
    assert_int_equal(remove(path), 0);
    assert_int_equal(rmdir(dir), 0); /* no temporary file left beside it */

    snprintf(path, sizeof path, "%s/chart.svg", dir); /* the folder is gone now */
    assert_int_equal(leaderboard_svg_write(path, &lb, NULL, err, sizeof err), -1);
    if (!strstr(err, dir) || !strstr(err, "No such file"))
        fail_msg("expected an error naming %s and the reason; got \"%s\"", dir, err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bars_are_proportional_on_a_round_axis),
        cmocka_unit_test(colours_tell_chosen_within_noise_and_others_apart),
        cmocka_unit_test(a_failed_row_has_no_bar_and_says_why),
        cmocka_unit_test(perfect_scores_still_give_a_finite_axis),
        cmocka_unit_test(markup_and_bad_bytes_are_escaped),
        cmocka_unit_test(default_path_replaces_the_extension),
        cmocka_unit_test(the_file_is_written_whole_or_the_error_names_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
