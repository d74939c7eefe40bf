#!/usr/bin/python3
"""tests/bench/package_bench.py (make bench-deploy): cold start of the packaged,
statically linked bootstrap beside the dynamically linked build/bootstrap, and
the package's size.

Cold start: process start (just before the spawn) to the first complete
`GET /2018-06-01/runtime/invocation/next` read by a listening socket on
127.0.0.1, median of --runs (after one warm-up run each).  The three programs
run in turn, round after round, with the same template-like environment:
  - build/package-probe: a static program that only connects and sends the GET
    (the floor of this measurement, spawn included);
  - the packaged bootstrap, unpacked from build/function.zip;
  - build/bootstrap (dynamically linked: ld.so, libcurl, OpenSSL, ...).
Target: the packaged bootstrap <= 2 ms; the zip <= 3 MB (the arm64 zip's size
is reported too; its cold start is not measured: under qemu-user it would
measure the emulator).
"""
import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
NEXT = b"GET /2018-06-01/runtime/invocation/next"


def one_cold_start(cmd, env):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    ls.settimeout(10)
    full = dict(env, AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % ls.getsockname()[1])
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=full, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    try:
        conn, _ = ls.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        t1 = time.perf_counter()
        conn.close()
    except socket.timeout:
        p.kill()
        raise RuntimeError("%s sent no request within 10 s: %s" % (cmd[0], p.communicate()[1][-300:]))
    finally:
        ls.close()
        if p.poll() is None:
            p.kill()
        p.wait()
    if not data.startswith(NEXT):
        raise RuntimeError("%s: first request was %r, not GET /next" % (cmd[0], data[:80]))
    return (t1 - t0) * 1000.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--zip", default=os.path.join(BUILD, "function.zip"))
    args = ap.parse_args()
    env = {"PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1",
           "AWS_LAMBDA_FUNCTION_NAME": "iris-scoring", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
           "SNS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:iris-alerts",
           "ALERT_MODE": "threshold", "ALERT_ACCURACY_THRESHOLD": "0.9",
           "ALERT_MIN_RECORDS": "10", "METRICS_NAMESPACE": "IrisLambda",
           # Lambda provides role credentials; fake ones here (never printed).
           "AWS_ACCESS_KEY_ID": "AKIDBENCH" + secrets.token_hex(6).upper(),
           "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30),
           "AWS_SESSION_TOKEN": secrets.token_urlsafe(40)}
    with tempfile.TemporaryDirectory() as task:
        subprocess.run(["unzip", "-q", args.zip, "-d", task], check=True)
        programs = [
            ("static probe (connect + GET only)", [os.path.join(BUILD, "package-probe")], {}),
            ("packaged bootstrap (static)", [os.path.join(task, "bootstrap")],
             {"LAMBDA_TASK_ROOT": task}),
            ("build/bootstrap (dynamic)", [os.path.join(BUILD, "bootstrap")],
             {"MODEL_PATH": os.path.join(ROOT, "model", "iris-model.json")}),
        ]
        times = {name: [] for name, _, _ in programs}
        for name, cmd, extra in programs:  # warm-up: page cache, first exec
            one_cold_start(cmd, dict(env, **extra))
        for _ in range(args.runs):
            for name, cmd, extra in programs:
                times[name].append(one_cold_start(cmd, dict(env, **extra)))

    print("bench-deploy: cold start, process start -> first GET /next "
          "(ms, median of %d, interleaved)" % args.runs)
    print("  %-36s %8s %8s %8s" % ("", "median", "min", "max"))
    for name, _, _ in programs:
        t = times[name]
        print("  %-36s %8.2f %8.2f %8.2f" % (name, statistics.median(t), min(t), max(t)))
    static = statistics.median(times["packaged bootstrap (static)"])
    dynamic = statistics.median(times["build/bootstrap (dynamic)"])
    probe = statistics.median(times["static probe (connect + GET only)"])
    zsize = os.path.getsize(args.zip)
    bsize = os.path.getsize(os.path.join(BUILD, "package", "bootstrap"))
    print("  static vs dynamic: %.2fx faster; static minus the probe's floor: %.2f ms"
          % (dynamic / static, static - probe))
    print("bench-deploy: function.zip %d bytes (%.2f MB); bootstrap %d bytes stripped"
          % (zsize, zsize / 1e6, bsize))
    arm_zip = os.path.join(BUILD, "arm64", "function.zip")
    arm_boot = os.path.join(BUILD, "arm64", "package", "bootstrap")
    if os.path.isfile(arm_zip) and os.path.isfile(arm_boot):
        # Sizes only: under qemu-user a cold start measures the emulator.
        asize = os.path.getsize(arm_zip)
        print("bench-deploy: arm64/function.zip %d bytes (%.2f MB); bootstrap %d bytes stripped"
              % (asize, asize / 1e6, os.path.getsize(arm_boot)))
        zsize = max(zsize, asize)
    print("bench-deploy: targets: cold start <= 2 ms: %s (%.2f ms); zip <= 3 MB (both "
          "architectures): %s"
          % ("met" if static <= 2.0 else "MISSED", static, "met" if zsize <= 3e6 else "MISSED"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
