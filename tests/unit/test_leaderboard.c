/* test_leaderboard.c: trainer/leaderboard's honesty rules on rows whose
 * per-repeat scores are given, with every expected value worked out by hand:
 * the standard error across repeats, the repeat-by-repeat difference to the
 * best row and its standard error, "within noise" (difference < 2 standard
 * errors), and the leader (the simplest family within noise of the best). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trainer/leaderboard.h"

/* Rows in leaderboard order (best first), their families, and 3 repeats. */
static leaderboard board(leaderboard_row *rows, size_t n, const learner_family *const *fam)
{
    leaderboard lb;
    memset(&lb, 0, sizeof lb);
    memset(rows, 0, n * sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        rows[i].spec.family = fam[i];
        rows[i].order = i;
    }
    lb.rows = rows;
    lb.nrows = n;
    lb.repeats = 3;
    lb.folds = 5;
    return lb;
}

static void simpler_model_within_noise_of_the_best_leads(void **state)
{
    (void)state;
    /* qda: 0.02 0.03 0.01 (mean 0.02, sd 0.01, se 0.01/sqrt 3 = 0.0057735)
     * lda: 0.03 0.03 0.03: differences 0.01 0 0.02, mean 0.01, sd 0.01,
     *      se 0.0057735; 0.01 < 2 x 0.0057735 = 0.011547: within noise
     * glm: 0.05 0.06 0.04: differences 0.03 0.03 0.03, sd 0: not within */
    static const double rep[] = {0.02, 0.03, 0.01, 0.03, 0.03, 0.03, 0.05, 0.06, 0.04};
    const learner_family *fam[] = {&learner_qda, &learner_lda, &learner_glm};
    leaderboard_row rows[3];
    leaderboard lb = board(rows, 3, fam);
    double diff[3];
    leaderboard_judge(&lb, rep, diff);
    assert_float_equal(rows[0].mpce_se, 0.01 / sqrt(3), 1e-12);
    assert_float_equal(rows[0].diff_best, 0, 1e-15);
    assert_int_equal(rows[0].within_noise, 1);
    assert_float_equal(rows[1].mpce_se, 0, 1e-15);
    assert_float_equal(rows[1].diff_best, 0.01, 1e-12);
    assert_float_equal(rows[1].diff_best_se, 0.01 / sqrt(3), 1e-12);
    assert_int_equal(rows[1].within_noise, 1);
    assert_float_equal(rows[2].diff_best, 0.03, 1e-12);
    assert_float_equal(rows[2].diff_best_se, 0, 1e-12);
    assert_int_equal(rows[2].within_noise, 0);
    assert_int_equal(lb.leader, 1); /* lda: simpler than qda, within noise */
    assert_ptr_equal(leaderboard_leader(&lb), &rows[1]);
}

static void a_consistent_gap_is_not_noise_and_the_best_leads(void **state)
{
    (void)state;
    /* knn: 0.02 0.02 0.02; glm: 0.03 0.04 0.02 -> differences 0.01 0.02 0,
     * mean 0.01, sd 0.01, se 0.0057735: within noise, and glm is simpler.
     * gbm: 0.025 0.025 0.025 -> differences 0.005 each: sd 0, not within. */
    static const double rep[] = {0.02, 0.02, 0.02, 0.03, 0.04, 0.02, 0.025, 0.025, 0.025};
    const learner_family *fam[] = {&learner_knn, &learner_glm, &learner_gbm};
    leaderboard_row rows[3];
    leaderboard lb = board(rows, 3, fam);
    double diff[3];
    leaderboard_judge(&lb, rep, diff);
    assert_int_equal(rows[1].within_noise, 1);
    assert_int_equal(rows[2].within_noise, 0);
    assert_int_equal(lb.leader, 1);
    /* Without the glm row the best (knn) leads: gbm is not within noise. */
    static const double rep2[] = {0.02, 0.02, 0.02, 0.025, 0.025, 0.025};
    const learner_family *fam2[] = {&learner_knn, &learner_gbm};
    lb = board(rows, 2, fam2);
    leaderboard_judge(&lb, rep2, diff);
    assert_int_equal(rows[1].within_noise, 0);
    assert_int_equal(lb.leader, 0);
}

static void failed_rows_are_never_judged_or_chosen(void **state)
{
    (void)state;
    static const double rep[] = {0.02, 0.03, 0.01, 0, 0, 0};
    const learner_family *fam[] = {&learner_qda, &learner_glm};
    leaderboard_row rows[2];
    leaderboard lb = board(rows, 2, fam);
    rows[1].failed = 1;
    double diff[3];
    leaderboard_judge(&lb, rep, diff);
    assert_int_equal(rows[1].within_noise, 0);
    assert_int_equal(lb.leader, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(simpler_model_within_noise_of_the_best_leads),
        cmocka_unit_test(a_consistent_gap_is_not_noise_and_the_best_leads),
        cmocka_unit_test(failed_rows_are_never_judged_or_chosen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
