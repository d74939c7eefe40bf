#!/usr/bin/env python3
"""make bench (lambda part): the C bootstrap against its references, in one run.

Goals, on the largest batch a real invocation can answer (request
<= 6,291,456 bytes, response <= 6,291,556 bytes, found here by bisection with
the real handler), on the static package (build/package/bootstrap, what
Lambda runs):

- billed duration: the event handed over by the Runtime API -> the response
  fully received, measured from outside by tests/bench/rapi_stub.c (a C
  Runtime API on a loopback socket that reads the chunked response as fast
  as the kernel hands it over), with the bootstrap's own CPU time per
  invocation; <= 3.0x simdjson On-Demand's parse-only time on the same bytes
  (tests/bench/simdjson_baseline.cpp), measured alternately in the same run.
  Beside it, the whole handler in process (tests/bench/bench_handler.c: no
  HTTP) against the same simdjson figure.
- memory ceiling: peak RSS over 100 warm invocations <= 24 MB, and none of
  it grows after the second invocation.
- a fresh process's first invocation <= 1.2x a warm one.
Then a profile of where the billed time goes (the stub's timeline, user and
system CPU, minor page faults, and callgrind's instructions per warm
invocation by stage), so that the next change is chosen by measurement.

Then the C bootstrap against a Python runtime loop doing the same scoring
with the same model on the same events: cold start (process start -> first
GET /next seen on the listening socket, median of 20), warm handler time and
records/s for batches of 20, 1,000 and the largest batch, peak RSS
(--no-python skips this part).
"""
import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from rapi_harness import PY, ROOT, Function  # noqa: E402
from package_bench import one_cold_start  # noqa: E402  (this script's folder)

PYRUNTIME = [PY, os.path.join(ROOT, "tests", "bench", "bench_pyruntime.py")]


# Lambda's payload limits for a synchronous invoke (also the emulator's
# default response limit): 6 MB request, 6 MB + 100 bytes response.
MAX_REQUEST = 6291456
MAX_RESPONSE = 6291556
RSS_CEILING_KB = 24 * 1024
BILLED_GOAL_RATIO = 3.0
FIRST_GOAL_RATIO = 1.2


def make_event(n, path, encode=None, seed=None):
    """n random iris rows as a connector batch, shaped as scripts/batch_limits.py
    shapes them (topic "iris", six partitions, 8-digit offsets, millisecond
    timestamps, null keys).  encode: None (object values), "escaped" (a
    string of escaped JSON) or "map" (Java's Map.toString(), the connector's
    default for schemaless JSON).  With a seed, the batch of n records is a
    prefix of the one of n + 1 (so sizes grow with n)."""
    rows = [l.strip().split(",") for l in open(os.path.join(ROOT, "model", "iris.csv"))][1:]
    rng = random.Random(n if seed is None else seed)
    out = []
    for i in range(n):
        r = rows[rng.randrange(len(rows))]
        value = {"sepalLength": float(r[0]), "sepalWidth": float(r[1]), "petalLength": float(r[2]),
                 "petalWidth": float(r[3]), "species": r[4]}
        if encode == "escaped":
            value = json.dumps(value, separators=(",", ":"))
        elif encode == "map":
            value = "{" + ", ".join("%s=%s" % kv for kv in value.items()) + "}"
        out.append({"payload": {"timestamp": 1764547200000 + i * 10, "topic": "iris",
                                "partition": i % 6, "offset": 10000000 + i // 6, "key": None,
                                "value": value}})
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    return os.path.getsize(path)


def cold_start(cmd, runs, env_extra):
    """Median of runs cold starts, measured as make bench-deploy measures them."""
    env = dict(os.environ, **env_extra)
    return statistics.median(one_cold_start(cmd, env) for _ in range(runs))


def warm(cmd, event, iters, env):
    p = subprocess.run(cmd + [event, str(iters)], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, check=True)
    return json.loads(p.stderr.decode().strip().splitlines()[-1])


def largest_answerable(bench_handler, outdir, penv):
    """The largest n whose batch fits Lambda's request limit and whose
    response (measured with the real handler) fits the response limit."""
    path = os.path.join(outdir, "batch-probe.json")
    lo, hi = 1000, 60000  # lo answerable, hi not

    def fits(n):
        if make_event(n, path, seed=0) > MAX_REQUEST:
            return False
        return warm([bench_handler], path, 1, penv)["response_bytes"] <= MAX_RESPONSE
    if not fits(lo) or fits(hi):
        raise SystemExit("largest answerable batch is outside %d..%d records" % (lo, hi))
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def against_simdjson(bench_handler, simdjson, event, penv, rounds=5, iters=20):
    """Median warm handler and simdjson parse-only times, measured alternately
    (the median of each program's per-round medians)."""
    c, s = [], []
    for _ in range(rounds):
        s.append(warm([simdjson], event, iters, penv))
        c.append(warm([bench_handler], event, iters, penv))
    if s[0]["records"] != c[0]["records"]:
        raise SystemExit("simdjson read %d records, the handler %d: not the same work"
                         % (s[0]["records"], c[0]["records"]))
    return c[-1], statistics.median(x["median_ms"] for x in c), \
        statistics.median(x["median_ms"] for x in s), min(x["min_ms"] for x in c), \
        min(x["min_ms"] for x in s)


def peak_rss_kb(cmd, event, env, max_response=200000000):
    # The emulator without a runtime; the runtime is started here so that it
    # can be a multi-word command and its pid is ours to read.
    fn = Function(None, env=env, emulator_args=["--max-response-bytes", str(max_response)],
                  start_runtime=False)
    try:
        penv = dict(os.environ, **env, AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % fn.port)
        p = subprocess.Popen(cmd, env=penv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(event, "rb") as f:
            ferr, out = fn.invoke(f.read(), timeout=300)
        if ferr:
            raise SystemExit("peak RSS run failed: %s" % out)
        with open("/proc/%d/status" % p.pid) as f:
            hwm = [l for l in f if l.startswith("VmHWM")][0].split()[1]
        p.send_signal(signal.SIGKILL)
        p.wait()
        return int(hwm), len(out)
    finally:
        fn.close()


def stub_run(stub, cmd, event, invocations, env):
    """One fresh runtime process serving event `invocations` times through
    tests/bench/rapi_stub.c.  Returns (one dict per invocation, the final
    line: spawn_to_first_us, utime_us, stime_us)."""
    p = subprocess.run([stub, event, str(invocations)] + cmd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise SystemExit("rapi_stub failed: %s" % p.stderr.decode()[-2000:])
    lines = [json.loads(l) for l in p.stdout.decode().splitlines()]
    per = {}
    for l in lines[:-1]:
        per.setdefault(l["i"], {}).update(l)
    return [per[i] for i in sorted(per)], lines[-1]


def billed_vs_simdjson(stub, static, bench_handler, simdjson, event, penv, rounds, iters):
    """Per round, alternately: simdjson's parse-only median, the in-process
    handler's median, and a fresh static bootstrap serving iters + 2
    invocations through the stub (its first, and the median of the 3rd and
    later).  Returns the per-round lists."""
    out = {"simdjson": [], "handler": [], "billed": [], "cpu": [], "first": [], "first_ratio": [],
           "simdjson_cpu": [], "handler_cpu": [],
           "sent": [], "first_byte": [], "minflt": [], "handler_min": [], "simdjson_min": [],
           "billed_min": []}
    for _ in range(rounds):
        sj = warm([simdjson], event, iters, penv)
        hd = warm([bench_handler], event, iters, penv)
        inv, _ = stub_run(stub, [static], event, iters + 2, penv)
        w = inv[2:]
        billed = statistics.median(x["billed_us"] for x in w) / 1e3
        out["simdjson"].append(sj["median_ms"])
        out["simdjson_cpu"].append(sj["median_cpu_ms"])
        out["handler_cpu"].append(hd["median_cpu_ms"])
        out["simdjson_min"].append(sj["min_ms"])
        out["handler"].append(hd["median_ms"])
        out["handler_min"].append(hd["min_ms"])
        out["billed"].append(billed)
        out["billed_min"].append(min(x["billed_us"] for x in w) / 1e3)
        out["cpu"].append(statistics.median(x["cpu_ns"] for x in w) / 1e6)
        out["first"].append(inv[0]["billed_us"] / 1e3)
        out["first_ratio"].append(inv[0]["billed_us"] / 1e3 / billed)
        out["sent"].append(statistics.median(x["sent_us"] for x in w) / 1e3)
        out["first_byte"].append(statistics.median(x["first_us"] for x in w) / 1e3)
        out["minflt"].append(statistics.median(x["minflt"] for x in w))
        if sj["records"] != hd["records"]:
            raise SystemExit("simdjson read %d records, the handler %d: not the same work"
                             % (sj["records"], hd["records"]))
    return out


def memory_run(stub, static, event, penv, invocations=101):
    """RSS after each invocation of one process, its peak, and CPU split."""
    inv, final = stub_run(stub, [static], event, invocations, penv)
    return inv, final


CALLGRIND_STAGES = [
    # (stage, functions whose inclusive instructions it adds up)
    ("parse the event (batch_parse)", ["batch_parse|batch_parse_releasing"]),
    ("score (evaluate_score)", ["evaluate_score"]),
    ("evaluate + monitor", ["evaluate_batch", "monitor_observe"]),
    ("log lines", ["handler_write_summary", "log_fields", "handler_write_emf",
                   "log_metrics_line"]),
    ("format the response (response_stream_fill)", ["response_stream_fill"]),
]


def callgrind_totals(path):
    """Inclusive instructions per function name from callgrind_annotate's
    function table (the source annotation after it is skipped)."""
    p = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100",
                        "--auto=no", path],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
    totals, in_table = {}, False
    for line in p.stdout.decode(errors="replace").splitlines():
        if line.rstrip().endswith("file:function"):
            in_table = True
            continue
        if not in_table or line.startswith("----"):
            if in_table and totals:
                break
            continue
        parts = line.split()
        if not parts or not parts[0][0].isdigit() or ":" not in line:
            continue
        n = int(parts[0].replace(",", ""))
        # A function may be listed twice (with and without its object file).
        name = line.split(":", 1)[1].rsplit(" [", 1)[0].strip()
        totals[name] = max(totals.get(name, 0), n)
    return totals


def callgrind_program_total(path):
    """The whole program's instructions in a callgrind output file."""
    for line in open(path, errors="replace"):
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise SystemExit("no totals in %s" % path)


def simdjson_instructions(simdjson, event, penv, outdir):
    """simdjson's instructions per parse of event: 3 parses less 1, / 2."""
    got = {}
    for n in (1, 3):
        out = os.path.join(outdir, "callgrind-simdjson-%d.out" % n)
        subprocess.run(["/usr/bin/valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                        simdjson, event, str(n)], env=penv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        got[n] = callgrind_program_total(out)
    return (got[3] - got[1]) / 2


def callgrind_profile(stub, bootstrap, event, penv, outdir):
    """Instructions per warm invocation by stage: callgrind on the dynamic
    bootstrap (same code as the static package, with symbols) serving 1 and
    then 3 invocations; the difference / 2."""
    runs = {}
    for n in (1, 3):
        out = os.path.join(outdir, "callgrind-%d.out" % n)
        stub_run(stub, ["/usr/bin/valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                        bootstrap], event, n, penv)
        runs[n] = callgrind_totals(out)
        runs[n]["(program)"] = callgrind_program_total(out)
    per = {}
    for name in set(runs[1]) | set(runs[3]):
        per[name] = (runs[3].get(name, 0) - runs[1].get(name, 0)) / 2
    return per


def load_average():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--bench-handler", required=True)
    ap.add_argument("--simdjson", required=True, help="build/simdjson_baseline")
    ap.add_argument("--static", required=True,
                    help="the packaged static bootstrap (build/package/bootstrap)")
    ap.add_argument("--stub", required=True, help="build/bench/rapi_stub")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5,
                    help="alternating rounds of simdjson, handler and billed runs")
    ap.add_argument("--iters", type=int, default=20, help="warm invocations per round")
    ap.add_argument("--no-python", action="store_true", help="skip the Python runtime comparison")
    ap.add_argument("--no-callgrind", action="store_true", help="skip the callgrind profile")
    args = ap.parse_args()
    outdir = os.path.join(ROOT, "build", "bench")
    os.makedirs(outdir, exist_ok=True)
    env = {"MODEL_PATH": os.path.join(ROOT, "model", "iris-model.json"), "ALERT_MODE": "off",
           "AWS_LAMBDA_LOG_LEVEL": "INFO"}
    penv = dict(os.environ, **env)
    # A private copy: a rebuild of the package during the run cannot pull
    # the binary away from under the stub.
    static = os.path.join(outdir, "static-bootstrap")
    shutil.copy2(args.static, static)
    load_before = load_average()

    n_max = largest_answerable(args.bench_handler, outdir, penv)
    big = "%d" % n_max
    big_esc = "%d escaped" % n_max
    big_map = "%d Map.toString()" % n_max
    events = {20: os.path.join(ROOT, "events", "batch-correct.json"),
              1000: os.path.join(outdir, "batch-1000.json"),
              big: os.path.join(outdir, "batch-largest.json"),
              big_esc: os.path.join(outdir, "batch-largest-escaped.json"),
              big_map: os.path.join(outdir, "batch-largest-map.json")}
    sizes = {20: os.path.getsize(events[20]), 1000: make_event(1000, events[1000]),
             big: make_event(n_max, events[big], seed=0),
             # Values as strings: escaped JSON, and Map.toString() (the
             # connector's default converter on schemaless JSON).
             big_esc: make_event(n_max, events[big_esc], "escaped", seed=0),
             big_map: make_event(n_max, events[big_map], "map", seed=0)}

    # The goals first, on a machine not yet warmed by the Python runs.
    b = billed_vs_simdjson(args.stub, static, args.bench_handler, args.simdjson, events[big], penv,
                           args.rounds, args.iters)
    mem, mem_final = memory_run(args.stub, static, events[big], penv)
    goal_esc = against_simdjson(args.bench_handler, args.simdjson, events[big_esc], penv, rounds=3)
    goal_map = against_simdjson(args.bench_handler, args.simdjson, events[big_map], penv, rounds=3)
    load_goals = load_average()
    prof = None
    if not args.no_callgrind and os.path.exists("/usr/bin/valgrind"):
        prof = callgrind_profile(args.stub, os.path.abspath(args.bootstrap), events[big], penv,
                                 outdir)
        prof["(simdjson)"] = simdjson_instructions(args.simdjson, events[big], penv, outdir)

    med = statistics.median
    print("bench-lambda: largest answerable batch %d records, request %d bytes (limit %d), "
          "response %d bytes (limit %d); load average %s before, %s after the goals; %d cores"
          % (n_max, sizes[big], MAX_REQUEST, mem[0]["response_bytes"], MAX_RESPONSE, load_before,
             load_goals, os.cpu_count()))
    print()
    print("goals (static package; median over %d alternating rounds of %d warm invocations)"
          % (args.rounds, args.iters))
    print("%-58s %10s %10s %8s %6s %8s" % ("figure", "ours", "simdjson", "ratio", "goal", ""))
    ratios = [x / y for x, y in zip(b["billed"], b["simdjson"])]
    cpu_r = [x / y for x, y in zip(b["cpu"], b["simdjson_cpu"])]
    hd_r = [x / y for x, y in zip(b["handler"], b["simdjson"])]
    hd_cpu_r = [x / y for x, y in zip(b["handler_cpu"], b["simdjson_cpu"])]

    def row(what, ours, ref, r, goal):
        verdict = "" if goal is None else ("met" if r <= goal else "MISSED")
        print("%-58s %10.3f %10.3f %7.2fx %6s %8s" % (what, ours, ref, r,
                                                     "" if goal is None else "%.1fx" % goal,
                                                     verdict))
    row("billed duration, ms (event handed over -> response in)", med(b["billed"]),
        med(b["simdjson"]), med(ratios), BILLED_GOAL_RATIO)
    row("billed, the bootstrap's CPU per invocation, ms (vs CPU)", med(b["cpu"]),
        med(b["simdjson_cpu"]), med(cpu_r), BILLED_GOAL_RATIO)
    row("  fastest invocation, ms", min(b["billed_min"]), min(b["simdjson_min"]),
        min(b["billed_min"]) / min(b["simdjson_min"]), None)
    row("whole handler in process, ms, object values", med(b["handler"]), med(b["simdjson"]),
        med(hd_r), None)
    row("  its CPU per call, ms (vs CPU)", med(b["handler_cpu"]), med(b["simdjson_cpu"]),
        med(hd_cpu_r), None)
    for what, (_, ours, ref, _, _) in (("whole handler in process, ms, Map.toString()", goal_map),
                                       ("whole handler in process, ms, escaped JSON", goal_esc)):
        row(what, ours, ref, ours / ref, None)
    fr = med(b["first_ratio"])
    print("%-58s %10.3f %10.3f %7.2fx %6s %8s" % (
        "first invocation of a fresh process vs its warm ones, ms", med(b["first"]),
        med(b["billed"]), fr, "%.1fx" % FIRST_GOAL_RATIO, "met" if fr <= FIRST_GOAL_RATIO
        else "MISSED"))
    hwm = mem[-1]["hwm_kb"]
    grow_kb = max(x["rss_kb"] for x in mem[2:]) - mem[1]["rss_kb"]
    hwm_grow = hwm - mem[1]["hwm_kb"]
    print("%-58s %10.1f %10.1f %7.2fx %6s %8s" % (
        "peak RSS over %d invocations (VmHWM), MB, vs the ceiling" % len(mem), hwm / 1024,
        RSS_CEILING_KB / 1024, hwm / RSS_CEILING_KB, "1.0x",
        "met" if hwm <= RSS_CEILING_KB else "MISSED"))
    print("%-58s %10d %10s %8s %6s %8s" % (
        "growth after the 2nd invocation, KB: RSS between them", grow_kb, "", "", "0",
        "met" if grow_kb <= 0 else "MISSED"))
    print("%-58s %10d %10s %8s %6s %8s" % (
        "growth after the 2nd invocation, KB: peak (VmHWM)", hwm_grow, "", "", "0",
        "met" if hwm_grow <= 0 else "MISSED"))
    print("  RSS after invocations 1-5: %s MB; after %d: %.1f MB"
          % (", ".join("%.1f" % (x["rss_kb"] / 1024) for x in mem[:5]), len(mem),
             mem[-1]["rss_kb"] / 1024))

    print()
    print("where the billed time goes (warm invocations of the static package)")
    warm_inv = mem[2:]
    ticks = os.sysconf("SC_CLK_TCK")
    ut = (warm_inv[-1]["utime"] - mem[1]["utime"]) / ticks * 1e3 / len(warm_inv)
    st = (warm_inv[-1]["stime"] - mem[1]["stime"]) / ticks * 1e3 / len(warm_inv)
    print("  timeline (stub): event accepted by the kernel after %.2f ms; first response byte "
          "after %.2f ms; last after %.2f ms" % (med(b["sent"]), med(b["first_byte"]),
                                                 med(b["billed"])))
    print("  bootstrap CPU per warm invocation: %.2f ms (user %.2f ms, system %.2f ms: socket "
          "reads and writes, page faults, madvise)" % (med(b["cpu"]), ut, st))
    print("  minor page faults per warm invocation: %d (median; invocations 1-5: %s)"
          % (med(x["minflt"] for x in warm_inv), ", ".join("%d" % x["minflt"] for x in mem[:5])))
    if prof:
        total = prof.get("runtime_run", 0)
        print("  callgrind, instructions per warm invocation (dynamic build, same code), "
              "total %.1f M in runtime_run:" % (total / 1e6))
        print("    %-48s %8.1f M" % ("handler_invoke (everything but the response)",
                                     prof.get("handler_invoke", 0) / 1e6))
        counted = 0
        for stage, fns in CALLGRIND_STAGES:
            # "a|b": whichever of the two the handler calls (one wraps the other)
            v = sum(max(prof.get(g, 0) for g in f.split("|")) for f in fns)
            counted += v
            print("    %-48s %8.1f M  %5.1f%%" % (stage, v / 1e6, 100 * v / total if total else 0))
        rest = total - counted
        print("    %-48s %8.1f M  %5.1f%%" % ("runtime and the rest: HTTP, copies, headers",
                                              rest / 1e6, 100 * rest / total if total else 0))
        for f in ("on_body", "__memcpy_avx_unaligned_erms", "__memmove_avx_unaligned_erms"):
            if prof.get(f):
                print("      %-44s %8.1f M" % ("(memory copies: " + f + ")", prof[f] / 1e6))
        whole, sj = prof["(program)"], prof["(simdjson)"]
        print("  instructions per warm invocation, whole bootstrap process: %.1f M; simdjson "
              "On-Demand parsing the same bytes: %.1f M; ratio %.2fx (independent of the load)"
              % (whole / 1e6, sj / 1e6, whole / sj))

    if args.no_python:
        return 0

    # Same answers from both before timing anything.
    sys.path.insert(0, os.path.join(ROOT, "tests", "bench"))
    import bench_pyruntime as pr
    model = pr.Model(env["MODEL_PATH"])
    py_pred = [e["payload"]["predictedSpecies"]
               for e in json.loads(pr.handle(model, open(events[1000], "rb").read()))]
    fn = Function(args.bootstrap, env=env)
    try:
        _, c_resp = fn.invoke(open(events[1000], "rb").read())
    finally:
        fn.close()
    c_pred = [e["payload"]["predictedSpecies"] for e in c_resp]
    agree = sum(a == b for a, b in zip(c_pred, py_pred))
    print("baseline check: C and Python agree on %d of %d predictions" % (agree, len(c_pred)))
    if agree != len(c_pred):
        raise SystemExit("baseline disagrees with the bootstrap: not a fair comparison")

    s_rss, _ = peak_rss_kb([args.static], events[big], env, MAX_RESPONSE)

    print("cold start: process start -> first GET /next (median of %d)" % args.runs)
    c_cold = cold_start([args.bootstrap], args.runs, env)
    py_cold = cold_start(PYRUNTIME, args.runs, env)
    s_cold = cold_start([args.static], args.runs, env)

    rows = []
    iters = {20: (2000, 100), 1000: (100, 10), big: (15, 3), big_esc: (15, 3)}
    for n in (20, 1000, big_esc, big):
        c = warm([args.bench_handler], events[n], iters[n][0], penv)
        p = warm(PYRUNTIME + ["--bench"], events[n], iters[n][1], penv)
        rows.append((n, sizes[n], c, p))
    c_rss, _ = peak_rss_kb([args.bootstrap], events[big], env)
    py_rss, _ = peak_rss_kb(PYRUNTIME, events[big], env)

    print()
    print("%-40s %14s %14s %10s" % ("figure", "C bootstrap", "Python loop", "ratio"))
    print("%-40s %14.2f %14.2f %9.1fx" % ("cold start, ms (median), dynamic", c_cold, py_cold,
                                          py_cold / c_cold))
    print("%-40s %14.2f %14.2f %9.1fx" % ("cold start, ms (median), static package", s_cold,
                                          py_cold, py_cold / s_cold))
    for n, size, c, p in rows:
        print("%-40s %14.3f %14.3f %9.1fx" % ("warm handler, ms, %s rec (%.2f MB)" % (n, size / 1e6),
                                             c["median_ms"], p["median_ms"],
                                             p["median_ms"] / c["median_ms"]))
        print("%-40s %14.0f %14.0f %9.1fx" % ("  records/s, %s rec" % n, c["records_per_s"],
                                             p["records_per_s"],
                                             c["records_per_s"] / p["records_per_s"]))
    print("%-40s %14.1f %14.1f %9.1fx" % ("peak RSS, MB, %s rec, dynamic" % big, c_rss / 1024,
                                         py_rss / 1024, py_rss / c_rss))
    print("%-40s %14.1f %14.1f %9.1fx" % ("peak RSS, MB, %s rec, static package" % big,
                                         s_rss / 1024, py_rss / 1024, py_rss / s_rss))

    print("load average after the Python comparison: %s" % load_average())
    return 0


if __name__ == "__main__":
    sys.exit(main())
