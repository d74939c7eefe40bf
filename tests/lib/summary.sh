#!/usr/bin/env bash
# summary.sh DIR [SUITE...]: add up the per-suite counts written by
# run-suite.sh.  With SUITE names, exactly those suites count, and one that
# left no counts (it never ran, or its build failed) is a failure.
set -uo pipefail
dir=${1:-build/test-results}
shift || true
p=0; f=0; bad=()
if [ $# -gt 0 ]; then
    suites=("$@")
else
    suites=()
    for c in "$dir"/*.counts; do [ -e "$c" ] && suites+=("$(basename "$c" .counts)"); done
fi
for s in "${suites[@]}"; do
    c="$dir/$s.counts"
    if [ ! -e "$c" ]; then
        f=$((f + 1)); bad+=("$s(did not run)"); continue
    fi
    read -r cp cf < "$c"
    p=$((p + cp)); f=$((f + cf))
    [ "$cf" -eq 0 ] || bad+=("$s")
done
echo
[ ${#bad[@]} -eq 0 ] || echo "failing suites: ${bad[*]}"
echo "total: $p passed, $f failed"
[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
