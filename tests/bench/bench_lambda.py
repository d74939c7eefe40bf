#!/usr/bin/env python3
"""make bench (lambda part): the C bootstrap against a Python runtime loop
doing the same scoring with the same model on the same events, in one run.

Figures: cold start (process start -> first GET /next seen on the listening
socket, median of 20), warm handler time and records/s for batches of 20,
1,000 and 25,000 records, peak RSS serving the 25,000-record batch.
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


def make_event(n, path, encode=None):
    rows = [l.strip().split(",") for l in open(os.path.join(ROOT, "model", "iris.csv"))][1:]
    rng = random.Random(n)
    out = []
    for i in range(n):
        r = rows[rng.randrange(len(rows))]
        value = {"sepalLength": float(r[0]), "sepalWidth": float(r[1]), "petalLength": float(r[2]),
                 "petalWidth": float(r[3]), "species": r[4]}
        if encode == "escaped":
            value = json.dumps(value, separators=(",", ":"))
        out.append({"payload": {"timestamp": 1604302260000 + i * 10, "topic": "iris",
                                "partition": i % 3, "offset": 1000 + i, "key": None,
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


def peak_rss_kb(cmd, event, env):
    # The emulator without a runtime; the runtime is started here so that it
    # can be a multi-word command and its pid is ours to read.
    fn = Function(None, env=env, emulator_args=["--max-response-bytes", "200000000"],
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
    ap.add_argument("--static", help="the packaged static bootstrap (build/package/bootstrap)")
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    outdir = os.path.join(ROOT, "build", "bench")
    os.makedirs(outdir, exist_ok=True)
    env = {"MODEL_PATH": os.path.join(ROOT, "model", "iris-model.json"), "ALERT_MODE": "off",
           "AWS_LAMBDA_LOG_LEVEL": "INFO"}
    penv = dict(os.environ, **env)

    events = {20: os.path.join(ROOT, "events", "batch-correct.json")}
    sizes = {20: os.path.getsize(events[20])}
    for n in (1000, 25000):
        events[n] = os.path.join(outdir, "batch-%d.json" % n)
        sizes[n] = make_event(n, events[n])
    # Values as strings of escaped JSON (the connector's string converters).
    events["25000 escaped"] = os.path.join(outdir, "batch-25000-escaped.json")
    sizes["25000 escaped"] = make_event(25000, events["25000 escaped"], "escaped")

    # Same answers from both before timing anything.
    c_out = subprocess.run([args.bench_handler, events[1000], "1"], env=penv,
                           capture_output=True, check=True)
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
    del c_out

    print("cold start: process start -> first GET /next (median of %d)" % args.runs)
    c_cold = cold_start([args.bootstrap], args.runs, env)
    py_cold = cold_start(PYRUNTIME, args.runs, env)

    rows = []
    iters = {20: (2000, 100), 1000: (100, 10), 25000: (15, 3), "25000 escaped": (15, 3)}
    for n in (20, 1000, "25000 escaped", 25000):
        c = warm([args.bench_handler], events[n], iters[n][0], penv)
        p = warm(PYRUNTIME + ["--bench"], events[n], iters[n][1], penv)
        rows.append((n, sizes[n], c, p))

    c_rss, _ = peak_rss_kb([args.bootstrap], events[25000], env)
    py_rss, _ = peak_rss_kb(PYRUNTIME, events[25000], env)
    s_cold = s_rss = None
    if args.static:
        s_cold = cold_start([args.static], args.runs, env)
        s_rss, _ = peak_rss_kb([args.static], events[25000], env)

    print()
    print("%-34s %14s %14s %10s" % ("figure", "C bootstrap", "Python loop", "ratio"))
    print("%-34s %14.2f %14.2f %9.1fx" % ("cold start, ms (median)", c_cold, py_cold,
                                          py_cold / c_cold))
    for n, size, c, p in rows:
        print("%-34s %14.3f %14.3f %9.1fx" % ("warm handler, ms, %s rec (%.1f MB)" % (n, size / 1e6),
                                             c["median_ms"], p["median_ms"],
                                             p["median_ms"] / c["median_ms"]))
        print("%-34s %14.0f %14.0f %9.1fx" % ("  records/s, %s rec" % n, c["records_per_s"],
                                             p["records_per_s"],
                                             c["records_per_s"] / p["records_per_s"]))
    print("%-34s %14.1f %14.1f %9.1fx" % ("peak RSS, MB (25,000-record batch)", c_rss / 1024,
                                         py_rss / 1024, py_rss / c_rss))
    if args.static:
        print("%-34s %14.2f %14.2f %9.1fx" % ("static package: cold start, ms", s_cold, py_cold,
                                              py_cold / s_cold))
        print("%-34s %14.1f %14.1f %9.1fx" % ("static package: peak RSS, MB", s_rss / 1024,
                                              py_rss / 1024, py_rss / s_rss))
    big = rows[-1][2]
    cold = s_cold if s_cold is not None else c_cold
    rss = s_rss if s_rss is not None else c_rss
    what = "static package" if args.static else "dynamic build"
    print()
    print("targets (%s): cold start <= 3 ms: %s (%.2f ms); >= 1,000,000 records/s at 25,000: "
          "%s (%.0f); peak RSS <= 10 MB: %s (%.1f MB)" % (
              what, "met" if cold <= 3 else "MISSED", cold,
              "met" if big["records_per_s"] >= 1e6 else "MISSED", big["records_per_s"],
              "met" if rss <= 10 * 1024 else "MISSED", rss / 1024))


if __name__ == "__main__":
    main()
