#!/usr/bin/env bash
# run-suite.sh NAME CMD [ARGS...]: run one test suite, show its output, and
# record "passed failed" in $RESULTS/NAME.counts for tests/lib/summary.sh.
# Exits non-zero when the suite failed, unless IRIS_KEEP_GOING=1 (set by
# make test, whose summary then fails the run) so the other suites still run.
# Counts come from cmocka's "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)"
# lines, or from a closing "N passed, N failed" line.  A suite that exits
# non-zero without reporting a failure counts as one failure.
set -uo pipefail
name=$1; shift
results=${RESULTS:-build/test-results}
mkdir -p "$results"
log="$results/$name.log"
rm -f "$results/$name.counts"
# Under make -j the output of a suite is shown whole once it ends, not
# interleaved with another suite's.
"$@" > "$log" 2>&1
rc=$?
{ echo "=== suite $name: $*"; cat "$log"; } 
passed=0; failed=0
while read -r n; do passed=$((passed + n)); done < <(sed -nE 's/^\[  PASSED  \] ([0-9]+) test.*/\1/p' "$log")
while read -r n; do failed=$((failed + n)); done < <(sed -nE 's/^\[  FAILED  \] ([0-9]+) test.*/\1/p' "$log")
while read -r p f; do passed=$((passed + p)); failed=$((failed + f)); done \
    < <(sed -nE 's/^([A-Za-z0-9_-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2 \3/p' "$log")
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "suite $name reported no tests" >&2; failed=1
fi
echo "$passed $failed" > "$results/$name.counts"
echo "=== suite $name: $passed passed, $failed failed (exit $rc)"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ] && exit 0
[ "${IRIS_KEEP_GOING:-0}" = 1 ] && exit 0
exit 1
