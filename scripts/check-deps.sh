#!/usr/bin/env bash
# check-deps.sh: enforce ARCHITECTURE.md's include rules on every tracked C
# file.  Each folder may include (with "...") only the folders listed for it;
# system headers are free, except that librdkafka may be included only by
# the parts that talk to Kafka and libcurl only by the parts that talk HTTP.
# Also: no tracked file refers to the reference folder beside the work tree
# (a clone has nothing beside it),
# every goto jumps to the one label cleanup, events/ holds only the samples
# events/README.md lists, every script answers --help, and each make goal's
# dependency step installs what that goal needs (scripts/deps.sh).
# Prints every violation as file:line: rule, and ends with the plain
# "N passed, N failed" line.
set -uo pipefail
case "${1:-}" in
-h | --help)
    echo "usage: scripts/check-deps.sh   (no options; make check-deps runs it)"
    echo "Checks ARCHITECTURE.md's include and cleanup-label rules and that events/ holds"
    echo "only the samples events/README.md lists; prints each violation as file:line: rule."
    exit 0 ;;
"") ;;
*) echo "check-deps.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."

fail=0 pass=0
violation() { echo "$1: $2"; fail=$((fail + 1)); }

# Every include line of every tracked C file, judged in one awk pass (a
# process per line made this take minutes on a loaded machine).  allowed():
# folder -> the project folders its files may include from ("" = itself
# only); may_kafka/may_curl: who may include <librdkafka/...> and <curl/...>.
include_report=$(
    git grep -nE '^[[:space:]]*#[[:space:]]*include' -- '*.c' '*.h' | awk '
    function allowed(f) {
        if (f ~ /^common\//) return "common"
        if (f ~ /^runtime\//) return "runtime common"
        if (f ~ /^aws\//) return "aws common"
        if (f ~ /^model\//) return "model"
        if (f ~ /^lambda\/batch\//) return "lambda/batch model common"
        if (f ~ /^lambda\//) return "lambda lambda/batch runtime aws model common"
        if (f ~ /^trainer\//) return "trainer model registry common"
        if (f ~ /^producer\//) return "producer producer/schemas registry common"
        if (f ~ /^registry\//) return "registry"
        if (f ~ /^tests\/doubles\//) return "tests/doubles registry common"
        if (f ~ /^tests\/fuzz\//) return "tests/fuzz tests tests/lib tests/doubles common runtime aws model lambda lambda/batch trainer producer registry"
        if (f ~ /^tests\//) return "tests tests/lib tests/doubles common runtime aws model lambda lambda/batch trainer producer registry"
        return ""
    }
    function may_kafka(f) { return f == "trainer/kafka_source.c" || f ~ /^producer\// || f ~ /^tests\// }
    function may_curl(f) { return f ~ /^runtime\// || f ~ /^aws\// || f ~ /^registry\// || f ~ /^tests\// }
    {
        f = $0; sub(/:.*/, "", f)
        rest = substr($0, length(f) + 2); line = rest; sub(/:.*/, "", line)
        text = substr(rest, length(line) + 2)
        seen[f] = 1
        if (match(text, /#[[:space:]]*include[[:space:]]*"[^"]+"/)) {
            inc = substr(text, RSTART, RLENGTH); sub(/^[^"]*"/, "", inc); sub(/"$/, "", inc)
            d = inc; if (!sub(/\/[^\/]*$/, "", d)) d = "."
            dirs = allowed(f)
            if (d == ".") {
                printf "V\t%s:%s\tinclude \"%s\" needs its folder (\"folder/name.h\")\n", f, line, inc; bad[f] = 1
            } else if ((" " dirs " ") !~ (" " d " ")) {
                fd = f; sub(/\/[^\/]*$/, "", fd)
                printf "V\t%s:%s\t%s/ may not include %s (allowed: %s)\n", f, line, fd, inc, dirs == "" ? "nothing of the project" : dirs; bad[f] = 1
            }
        } else if (match(text, /#[[:space:]]*include[[:space:]]*<[^>]+>/)) {
            sys = substr(text, RSTART, RLENGTH); sub(/^[^<]*</, "", sys); sub(/>$/, "", sys)
            if (sys ~ /^librdkafka\// && !may_kafka(f)) { printf "V\t%s:%s\tonly the Kafka parts may include <%s>\n", f, line, sys; bad[f] = 1 }
            if (sys ~ /^curl\// && !may_curl(f)) { printf "V\t%s:%s\tonly runtime/, aws/ and registry/ may include <%s>\n", f, line, sys; bad[f] = 1 }
        }
    }
    END { for (f in seen) if (!(f in bad)) ok++; printf "P\t%d\n", ok }'
)
while IFS=$'\t' read -r kind where what; do
    case "$kind" in
    V) violation "$where" "$what" ;;
    P) pass=$((pass + where)) ;;
    esac
done <<<"$include_report"
# Files without any include pass too.
without=$(comm -23 <(git ls-files '*.c' '*.h' | sort) \
    <(git grep -lE '^[[:space:]]*#[[:space:]]*include' -- '*.c' '*.h' | sort) | wc -l)
pass=$((pass + without))

outside='..''/shared' # spelled in two pieces so this script does not match itself
shared=$(git grep -lF "$outside" -- . || true)
if [ -n "$shared" ]; then
    for f in $shared; do violation "$f" "refers to $outside, which a clone does not have"; done
else
    pass=$((pass + 1))
fi
# events/ holds only the samples its README lists (fuzzers write under build/,
# corpora live in tests/fuzz/corpus/): every file there, tracked or not, is
# README.md or a sample named in its table, and every listed sample exists.
samples=$(sed -nE 's/^\| `([^`/]+\.json)` \|.*/\1/p' events/README.md 2>/dev/null)
events_ok=1
if [ -z "$samples" ]; then
    violation events/README.md "lists no sample (a table row | \`name.json\` | what it shows |)"; events_ok=0
fi
while IFS= read -r f; do
    name=${f#events/}
    [ "$name" = README.md ] && continue
    grep -qxF -- "$name" <<<"$samples" ||
        { violation "$f" "not a sample listed in events/README.md (fuzzer corpora belong in tests/fuzz/corpus/<fuzzer>/ or build/)"; events_ok=0; }
done < <({ git ls-files events; find events -type f; } | sort -u)
for s in $samples; do
    [ -f "events/$s" ] || { violation "events/README.md" "lists $s, which events/ does not hold"; events_ok=0; }
done
# ...and they are exactly what scripts/make_events.py writes.
evtmp=$(mktemp -d)
if /usr/bin/python3 scripts/make_events.py "$evtmp" >/dev/null; then
    for s in $samples; do
        [ ! -f "events/$s" ] || cmp -s "events/$s" "$evtmp/$s" ||
            { violation "events/$s" "differs from what scripts/make_events.py writes (rerun it)"; events_ok=0; }
    done
else
    violation scripts/make_events.py "failed"; events_ok=0
fi
rm -rf "$evtmp"
[ $events_ok -eq 1 ] && pass=$((pass + 1))
# Every script answers --help with its usage, exit 0, and creates nothing.
help_ok=1
for script in scripts/*; do
    [ -x "$script" ] || continue
    htmp=$(mktemp -d)
    out=$(cd "$htmp" && "$OLDPWD/$script" --help 2>&1)
    rc=$?
    if [ $rc -ne 0 ] || ! grep -qi usage <<<"$out" || [ -n "$(ls -A "$htmp")" ]; then
        violation "$script" "--help must print its usage, exit 0 and create nothing (exit $rc, created: $(ls -A "$htmp" | tr '\n' ' '))"
        help_ok=0
    fi
    rm -rf "$htmp"
done
[ $help_ok -eq 1 ] && pass=$((pass + 1))
# Each goal installs what it needs and no more: make demo needs no cross
# toolchain, qemu, valgrind or Debian sources; make package ARCH=arm64 needs
# the cross toolchain and qemu; everything make test needs is in what .ci/run
# installs (deps.sh without a goal).
deps_ok=1
demo=" $(scripts/deps.sh --print demo) " all=" $(scripts/deps.sh --print) "
arm=" $(scripts/deps.sh --print ARCH=arm64 package) "
for p in gcc-aarch64-linux-gnu qemu-user-static valgrind dpkg-dev libsimdjson-dev; do
    [[ $demo != *" $p "* ]] || { violation scripts/deps.sh "make demo would install $p"; deps_ok=0; }
done
for p in gcc-aarch64-linux-gnu qemu-user-static libssl-dev:arm64; do
    [[ $arm == *" $p "* ]] || { violation scripts/deps.sh "make package ARCH=arm64 would not install $p"; deps_ok=0; }
done
for p in $(scripts/deps.sh --print test); do
    [[ $all == *" $p "* ]] || { violation scripts/deps.sh "make test needs $p, which deps.sh without a goal (.ci/run) does not install"; deps_ok=0; }
done
[ $deps_ok -eq 1 ] && pass=$((pass + 1))
# One cleanup label per function (STYLE.md, "Errors"): every goto jumps to cleanup.
gotos=$(git grep -nE '(^|[^A-Za-z0-9_])goto[[:space:]]+[A-Za-z_][A-Za-z0-9_]*[[:space:]]*;' -- '*.c' '*.h' |
    grep -vE '(^|[^A-Za-z0-9_])goto[[:space:]]+cleanup[[:space:]]*;' || true)
if [ -n "$gotos" ]; then
    while IFS= read -r g; do
        violation "${g%%:*}:$(cut -d: -f2 <<<"$g")" "goto to a label other than cleanup (one cleanup label per function: hand the result over before cleanup:)"
    done <<<"$gotos"
else
    pass=$((pass + 1))
fi
# No two C source files of one folder call each other both ways, so each
# folder reads top-down (scripts/call_graph.py FOLDER prints its calls).
if cycles=$(python3 scripts/call_graph.py --check); then
    pass=$((pass + 1))
else
    while IFS= read -r c; do
        violation "${c%%: *}" "${c#*: } (move what both need into a lower module)"
    done <<<"$cycles"
fi
echo "check-deps: $pass passed, $fail failed"
[ $fail -eq 0 ]
