#!/usr/bin/env python3
"""make bench-concurrency: one bootstrap answering several invocations at once
(Lambda Managed Instances, AWS_LAMBDA_MAX_CONCURRENCY=N) on the largest
answerable batch, against one worker in the same run.

Each run starts a fresh bootstrap under tests/bench/concurrency_load (a C
Runtime API serving the event and reading each response whole, as fast as
the kernel allows) with N workers and N clients invoking in a closed loop.
Runs alternate within a round (classic, N = 1, 2, 4, 8) so that a drift in
the machine's speed hits every N alike; each figure is the median over the
rounds, each ratio the median of the rounds' ratios.

The machine's own scaling is measured beside it, on the same event in the
same rounds: the in-process handler (tests/bench/bench_handler.c: no HTTP,
no thread, nothing shared) as one process, then as two processes at once.
Two workers cannot scale better than two processes that share nothing, so
that ratio is the ceiling the 2-worker figure is read against.

Goals (printed, not enforced: a benchmark measures, it does not fail):
  2 workers >= 1.8x one worker's throughput (this machine has 2 cores);
  idle RSS at N = 8 within 1 MB of N = 1 (memory follows invocations in
  flight, not N);
  peak RSS at N = 8, 8 invocations in flight, <= the classic idle RSS plus 8
  times the classic per-invocation growth (classic peak - classic idle).

    tests/bench/concurrency_bench.py --bootstrap build/bootstrap --load build/concurrency_load
                                     --bench-handler build/bench_handler [--rounds 3] [--invocations 64] [--records 21759]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import batch_limits  # noqa: E402  (the same records as make batch-size)

# The largest batch a synchronous invocation can answer with null keys
# (docs/function.md; make batch-size recomputes it).
LARGEST = 21759


def run(load, bootstrap, event, workers, clients, invocations):
    env = dict(os.environ, ALERT_MODE="off", AWS_LAMBDA_LOG_LEVEL="ERROR",
               MODEL_PATH=os.path.join(ROOT, "model", "iris-model.json"))
    p = subprocess.run([load, bootstrap, event, str(workers), str(clients), str(invocations)],
                       env=env, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise SystemExit("concurrency_load %d workers failed (%d): %s%s"
                         % (workers, p.returncode, p.stdout, p.stderr))
    return json.loads(p.stdout.strip().splitlines()[-1])


def handler_runs(bench_handler, event, copies, iterations):
    """copies processes of the in-process handler at once; their per-call
    medians, ms."""
    env = dict(os.environ, ALERT_MODE="off", AWS_LAMBDA_LOG_LEVEL="ERROR",
               MODEL_PATH=os.path.join(ROOT, "model", "iris-model.json"))
    procs = [subprocess.Popen([bench_handler, event, str(iterations)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(copies)]
    medians = []
    for p in procs:
        _, err = p.communicate(timeout=600)
        if p.returncode != 0:
            raise SystemExit("bench_handler failed (%d): %s" % (p.returncode, err[-2000:]))
        medians.append(json.loads(err.strip().splitlines()[-1])["median_ms"])
    return medians


def machine_scaling(bench_handler, event, iterations):
    """Throughput of two independent handler processes at once against one."""
    one = handler_runs(bench_handler, event, 1, iterations)[0]
    two = handler_runs(bench_handler, event, 2, iterations)
    return sum(1.0 / m for m in two) / (1.0 / one)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--load", required=True)
    ap.add_argument("--bench-handler", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--invocations", type=int, default=64)
    ap.add_argument("--records", type=int, default=LARGEST)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-concurrency-")
    event = os.path.join(tmp, "largest.json")
    with open(event, "w") as f:
        f.write("[" + ",".join(batch_limits.elements("object", args.records)) + "]")
    size = os.path.getsize(event)
    plan = [("classic", 0, 1), ("N=1", 1, 1), ("N=2", 2, 2), ("N=4", 4, 4), ("N=8", 8, 8)]
    results = {name: [] for name, _, _ in plan}
    scaling = []
    for _ in range(args.rounds):
        for name, workers, clients in plan:
            n = max(args.invocations, 2 * clients)
            results[name].append(run(args.load, args.bootstrap, event, workers, clients, n))
        scaling.append(machine_scaling(args.bench_handler, event, args.invocations))

    def med(name, key):
        return statistics.median(r[key] for r in results[name])

    def ratio(name, key="per_s"):
        return statistics.median(a[key] / b[key] for a, b in zip(results[name], results["N=1"]))

    load = os.getloadavg()
    print("bench-concurrency: %d records, event %d bytes, %d rounds, load average %.1f %.1f %.1f, "
          "%d cores" % (args.records, size, args.rounds, *load, os.cpu_count()))
    print("%-8s %8s %10s %9s %9s %10s %10s" % ("run", "inv/s", "vs N=1", "p50 ms", "p99 ms",
                                               "idle RSS", "peak RSS"))
    for name, _, _ in plan:
        print("%-8s %8.2f %9.2fx %9.1f %9.1f %8d KB %7d KB"
              % (name, med(name, "per_s"), ratio(name), med(name, "p50_ms"), med(name, "p99_ms"),
                 med(name, "idle_rss_kb"), med(name, "peak_rss_kb")))
    two = ratio("N=2")
    ceiling2 = statistics.median(scaling)
    print("the machine's own scaling: 2 in-process handlers at once (separate processes, "
          "nothing shared) give %.2fx one; 2 workers reach %.0f%% of that"
          % (ceiling2, 100.0 * two / ceiling2))
    # CPU per invocation: the runtime's (all threads) and the load's, which
    # runs on the same cores.  With every core busy the throughput cannot
    # pass cores / (their sum).
    for name in ("N=1", "N=2"):
        rt, ld = med(name, "runtime_cpu_ms"), med(name, "load_cpu_ms")
        print("CPU per invocation, %s: runtime %.2f ms, load %.2f ms" % (name, rt, ld))
    rt, ld = med("N=2", "runtime_cpu_ms"), med("N=2", "load_cpu_ms")
    cores = os.cpu_count() or 1
    bound = cores * 1e3 / (rt + ld) / med("N=1", "per_s")
    print("CPU bound with every core busy: %d cores / (%.2f + %.2f ms) = %.2fx one worker's "
          "throughput; 2 workers reach %.0f%% of it" % (cores, rt, ld, bound, 100.0 * two / bound))
    idle_gap = med("N=8", "idle_rss_kb") - med("N=1", "idle_rss_kb")
    classic_idle = med("classic", "idle_rss_kb")
    growth = med("classic", "peak_rss_kb") - classic_idle
    ceiling = classic_idle + 8 * growth
    peak8 = med("N=8", "peak_rss_kb")
    print("goal: 2 workers >= 1.8x one worker: %.2fx %s" % (two, "met" if two >= 1.8 else "MISSED"))
    print("goal: idle RSS at N=8 within 1024 KB of N=1: %+d KB %s"
          % (idle_gap, "met" if abs(idle_gap) <= 1024 else "MISSED"))
    print("goal: peak RSS at N=8 <= classic idle + 8 x classic growth (%d + 8 x %d = %d KB): "
          "%d KB %s" % (classic_idle, growth, ceiling, peak8, "met" if peak8 <= ceiling else "MISSED"))


if __name__ == "__main__":
    main()
