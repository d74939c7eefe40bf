#!/usr/bin/env python3
"""make bench (lambda part): the C bootstrap against its references, in one run.

Goals (issue 12), on the largest batch a real invocation can answer (request
<= 6,291,456 bytes, response <= 6,291,556 bytes, found here by bisection with
the real handler): the whole warm handler against simdjson On-Demand's
parse-only time on the same bytes (tests/bench/simdjson_baseline.cpp), and
the static package's peak RSS serving that batch under the Runtime API
emulator with its default limits.

Then the C bootstrap against a Python runtime loop doing the same scoring
with the same model on the same events: cold start (process start -> first
GET /next seen on the listening socket, median of 20), warm handler time and
records/s for batches of 20, 1,000 and the largest batch, peak RSS.
"""
import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from rapi_harness import PY, ROOT, Function  # noqa: E402

PYRUNTIME = [PY, os.path.join(ROOT, "tests", "bench", "bench_pyruntime.py")]


# Lambda's payload limits for a synchronous invoke (also the emulator's
# default response limit): 6 MB request, 6 MB + 100 bytes response.
MAX_REQUEST = 6291456
MAX_RESPONSE = 6291556
RSS_GOAL_KB = 10 * 1024
HANDLER_GOAL_RATIO = 2.0


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
    times = []
    for _ in range(runs):
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        env = dict(os.environ, AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % ls.getsockname()[1],
                   **env_extra)
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        conn, _ = ls.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        t1 = time.perf_counter()
        if not data.startswith(b"GET /2018-06-01/runtime/invocation/next"):
            raise SystemExit("unexpected first request: %r" % data[:80])
        p.kill()
        p.wait()
        conn.close()
        ls.close()
        times.append((t1 - t0) * 1e3)
    return statistics.median(times)


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--bench-handler", required=True)
    ap.add_argument("--simdjson", required=True, help="build/simdjson_baseline")
    ap.add_argument("--static", required=True,
                    help="the packaged static bootstrap (build/package/bootstrap)")
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    outdir = os.path.join(ROOT, "build", "bench")
    os.makedirs(outdir, exist_ok=True)
    env = {"MODEL_PATH": os.path.join(ROOT, "model", "iris-model.json"), "ALERT_MODE": "off",
           "AWS_LAMBDA_LOG_LEVEL": "INFO"}
    penv = dict(os.environ, **env)

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

    # The goals first, on a machine not yet warmed by the Python runs.
    goal = against_simdjson(args.bench_handler, args.simdjson, events[big], penv)
    goal_esc = against_simdjson(args.bench_handler, args.simdjson, events[big_esc], penv)
    goal_map = against_simdjson(args.bench_handler, args.simdjson, events[big_map], penv)
    s_rss, s_resp = peak_rss_kb([args.static], events[big], env, MAX_RESPONSE)

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

    print()
    print("goals, on the largest answerable batch: %d records, request %d bytes (limit %d), "
          "response %d bytes (limit %d)" % (n_max, sizes[big], MAX_REQUEST,
                                            goal[0]["response_bytes"], MAX_RESPONSE))
    print("%-46s %10s %22s %8s %8s   %s" % ("figure", "ours", "reference", "ratio", "goal",
                                            "fastest runs: ours, simdjson, ratio"))
    for what, (_, ours, ref, ours_min, ref_min) in (
            ("whole handler, ms, object values", goal),
            ("whole handler, ms, Map.toString() values", goal_map),
            ("whole handler, ms, escaped-JSON values", goal_esc)):
        r = ours / ref
        print("%-46s %10.3f %13.3f simdjson %7.2fx %8s   %.3f, %.3f, %.2fx" % (
            what, ours, ref, r, "met" if r <= HANDLER_GOAL_RATIO else "MISSED", ours_min,
            ref_min, ours_min / ref_min))
    print("%-46s %10.2f %16.2f goal %7.2fx %8s" % (
        "peak RSS, MB, static package (%d answers)" % s_resp, s_rss / 1024,
        RSS_GOAL_KB / 1024, s_rss / RSS_GOAL_KB, "met" if s_rss <= RSS_GOAL_KB else "MISSED"))


if __name__ == "__main__":
    main()
