#!/usr/bin/python3
"""bench-alerts: what alerts cost.

1. build/sns_bench: median microseconds to build and sign one SNS Publish
   request (form body + SigV4) for a typical alert, and to build the alert.
2. The alert path's added latency: the release bootstrap under the Runtime
   API emulator, invoked with events/batch-drifted.json (20 records, accuracy
   below 90%) N times with ALERT_MODE=threshold (one Publish per invocation to
   the local SNS on 127.0.0.1) and N times with ALERT_MODE=off (the baseline,
   same run); medians of the Invoke round trip and their ratio.  The local
   SNS is Python verifying every signature with botocore, so most of the
   added time is the double's, not the client's.

3. notifier_batch() alone (release build/sns_driver notify): the same drifted
   20-record batch published N times in one process (one reused connection),
   against the same batch with ALERT_MODE=off.

  sns_bench.py --bench build/sns_bench --driver build/sns_driver
               --bootstrap build/bootstrap [--invocations 40]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
import sns_testlib as lib  # noqa: E402
from rapi_harness import Function, event  # noqa: E402


def invoke_latencies(bootstrap, env, n):
    payload = event("batch-drifted.json")
    with Function(bootstrap, env=env) as fn:
        fn.invoke(payload)  # warm: init, first connection
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            ferr, out = fn.invoke(payload)
            times.append((time.perf_counter() - t0) * 1000.0)
            if ferr:
                raise SystemExit(f"sns_bench: invocation failed: {out}")
    return times


def notifier_latencies(driver, env, n):
    import json
    full = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ALERT_", "SNS_"))}
    full.update(env)
    p = subprocess.run([os.path.abspath(driver), "notify", "--misclassified", "11",
                        "--repeat", str(n + 1)], capture_output=True, text=True, env=full)
    rows = [json.loads(l) for l in p.stdout.splitlines() if l.startswith('{"rc"')]
    if p.returncode != 0 or len(rows) != n + 1:
        raise SystemExit(f"sns_bench: driver failed: {p.stdout[-500:]} {p.stderr[-500:]}")
    return rows[0]["elapsedUs"] / 1000.0, [r["elapsedUs"] / 1000.0 for r in rows[1:]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", default="build/sns_bench")
    ap.add_argument("--bootstrap", default="build/bootstrap")
    ap.add_argument("--driver", default="build/sns_driver")
    ap.add_argument("--invocations", type=int, default=40)
    args = ap.parse_args()

    out = subprocess.run([os.path.abspath(args.bench), "3000"], capture_output=True, text=True,
                         check=True).stdout
    figures = {}
    for line in out.splitlines():
        name, *vals = line.split()
        figures[name] = [float(v) for v in vals]
    print("alerts: build and sign one Publish request: median %.1f us (p90 %.1f us), "
          "message %d bytes" % (*figures["build_and_sign_publish_us"],
                                figures["message_bytes"][0]))
    print("alerts: build the alert from a 20-record batch: median %.1f us (p90 %.1f us)"
          % tuple(figures["alert_build_us"]))

    sns = lib.LocalSns()
    try:
        env = {"SNS_TOPIC_ARN": lib.TOPIC_ARN, "AWS_REGION": lib.REGION,
               "AWS_ENDPOINT_URL_SNS": sns.url, "AWS_ACCESS_KEY_ID": lib.TEMP_KEY_ID,
               "AWS_SECRET_ACCESS_KEY": lib.TEMP_SECRET, "AWS_SESSION_TOKEN": lib.TOKEN,
               "AWS_LAMBDA_LOG_LEVEL": "WARN"}
        bootstrap = os.path.abspath(args.bootstrap)
        base = invoke_latencies(bootstrap, dict(env, ALERT_MODE="off"), args.invocations)
        sns.reset()
        alert = invoke_latencies(bootstrap, dict(env, ALERT_MODE="threshold"), args.invocations)
        published = len(sns.published())
        sns.reset()
        off_first, off = notifier_latencies(args.driver, dict(env, ALERT_MODE="off"),
                                            args.invocations)
        on_first, on = notifier_latencies(args.driver, dict(env, ALERT_MODE="threshold"),
                                          args.invocations)
        if len(sns.published()) != args.invocations + 1:
            raise SystemExit("sns_bench: the driver's alerts did not all arrive")
    finally:
        sns.stop()
    if published != args.invocations + 1:
        raise SystemExit(f"sns_bench: expected {args.invocations + 1} alerts, got {published}")
    mb, ma = statistics.median(base), statistics.median(alert)
    print(f"alerts: drifted 20-record batch, invoke round trip median over {args.invocations}: "
          f"ALERT_MODE=off {mb:.2f} ms, threshold (1 alert each) {ma:.2f} ms")
    print(f"alerts: added latency {ma - mb:.2f} ms per alerting batch; ratio {ma / mb:.2f}x "
          "the no-alert baseline (local SNS verifies each signature with botocore)")
    mo, mn = statistics.median(off), statistics.median(on)
    print(f"alerts: notifier_batch() on the drifted batch, median over {args.invocations}: "
          f"ALERT_MODE=off {mo * 1000:.1f} us, threshold {mn:.2f} ms (first alert, "
          f"with the connection set-up: {on_first:.2f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
