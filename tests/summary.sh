#!/usr/bin/env bash
# summary.sh DIR: add up the per-suite counts written by run-suite.sh.
set -uo pipefail
dir=${1:-build/test-results}
p=0; f=0; bad=()
for c in "$dir"/*.counts; do
    [ -e "$c" ] || continue
    read -r cp cf < "$c"
    p=$((p + cp)); f=$((f + cf))
    [ "$cf" -eq 0 ] || bad+=("$(basename "$c" .counts)")
done
echo
[ ${#bad[@]} -eq 0 ] || echo "failing suites: ${bad[*]}"
echo "total: $p passed, $f failed"
[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
