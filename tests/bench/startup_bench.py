#!/usr/bin/env python3
"""make bench-startup: what a fresh bootstrap process costs, against its references.

1. First invocation of a fresh process against a warm one, on the largest
   connector batch Lambda can answer (request <= 6,291,456 bytes, response
   <= 6,291,556 bytes; about 22,000 records: found here by shrinking until the
   response fits).  Goal: first <= 1.5x warm.  Each process serves the batch
   WARM_INVOCATIONS + 1 times; "warm" is the median of invocations 3 and
   later.  Also the minor page faults of each invocation (from
   /proc/PID/stat, read between invocations).
2. Spawn to first response on a 20-record batch: from fork/exec of the
   runtime to the last byte of its POST /response, against a static no-op
   runtime (tests/bench/noop_runtime.c: GET /next, POST a fixed body, nothing
   else), the two measured alternately.  Goal: <= 1.3x.

The bootstrap runs with the deployed configuration (INFO logs, the default
alert policy with an SNS topic).  Both play the Runtime API themselves over a raw socket on 127.0.0.1, so the
times are the runtime's own: from the first byte of the event sent to the
last byte of the response read (1), from spawn to the last byte (2).
"""
import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_REQUEST = 6291456
MAX_RESPONSE = 6291556
FIRST_GOAL = 1.2
COLD_GOAL = 1.3
WARM_INVOCATIONS = 5


def make_event(n, seed=1):
    rows = [l.strip().split(",") for l in open(os.path.join(ROOT, "model", "iris.csv"))][1:]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        r = rows[rng.randrange(len(rows))]
        out.append({"payload": {"timestamp": 1604302260000 + i * 10, "topic": "iris",
                                "partition": i % 3, "offset": 1000 + i, "key": None,
                                "value": {"sepalLength": float(r[0]), "sepalWidth": float(r[1]),
                                          "petalLength": float(r[2]), "petalWidth": float(r[3]),
                                          "species": r[4]}}})
    return json.dumps(out, separators=(",", ":")).encode()


class MiniRuntimeApi:
    """Just enough of the Runtime API for one runtime process: GET /next gets
    the given event, POST .../response (Content-Length or chunked) gets 202."""

    def __init__(self):
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(4)
        self.address = "127.0.0.1:%d" % self.ls.getsockname()[1]
        self.conn = self.rf = None
        self.serial = 0

    def close(self):
        for s in (self.rf, self.conn, self.ls):
            if s is not None:
                s.close()

    def _request(self):
        """Reads one request; returns (request line, headers, body)."""
        while True:
            if self.conn is None:
                self.conn, _ = self.ls.accept()
                self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.rf = self.conn.makefile("rb")
            line = self.rf.readline(65536)
            if line:
                break
            self.rf.close()
            self.conn.close()
            self.conn = self.rf = None  # the runtime reconnects
        headers = {}
        while True:
            h = self.rf.readline(65536)
            if h in (b"\r\n", b"\n", b""):
                break
            k, _, v = h.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parts = []
            while True:
                size = int(self.rf.readline(1024).split(b";")[0], 16)
                if size == 0:
                    while self.rf.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rf.read(size))
                self.rf.read(2)
            body = b"".join(parts)
        else:
            body = self.rf.read(int(headers.get("content-length", "0")))
        return line.decode("latin-1"), headers, body

    def wait_next(self):
        line, _, _ = self._request()
        if not line.startswith("GET /2018-06-01/runtime/invocation/next"):
            raise SystemExit("expected GET /next, got %r" % line)

    def invoke(self, event):
        """After wait_next(): sends event, reads the response.  Returns
        (seconds from the event's first byte to the response's last, body)."""
        self.serial += 1
        rid = "bench-%08d" % self.serial
        head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                "Lambda-Runtime-Aws-Request-Id: %s\r\nLambda-Runtime-Deadline-Ms: %d\r\n"
                "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:"
                "function:bench\r\nLambda-Runtime-Trace-Id: Root=1-5759e988-bd862e3fe1be46a9942"
                "72793;Sampled=0\r\n\r\n" % (len(event), rid, int(time.time() * 1000) + 60000))
        t0 = time.perf_counter()
        self.conn.sendall(head.encode() + event)
        line, _, body = self._request()
        t1 = time.perf_counter()
        self.conn.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
                          b"Content-Length: 15\r\n\r\n{\"status\":\"OK\"}")
        if not line.startswith("POST /2018-06-01/runtime/invocation/%s/" % rid):
            raise SystemExit("unexpected request %r" % line)
        if "/error " in line:
            raise SystemExit("the runtime failed the invocation: %r" % body[:300])
        return t1 - t0, body


def minflt(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[7])


# The deployed configuration: default log level (INFO) and alert policy,
# alerts to an SNS topic (no alert is due on these batches; were one due, the
# endpoint refuses at once instead of reaching AWS).
DEPLOYED_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "AWS_REGION": "us-east-1",
    "SNS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:iris-alerts",
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "AWS_ENDPOINT_URL_SNS": "http://127.0.0.1:9",
}


def spawn(cmd, api, env_extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "ALERT_", "SNS_", "METRICS_"))}
    env.update(DEPLOYED_ENV, AWS_LAMBDA_RUNTIME_API=api.address, **env_extra)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(p):
    p.kill()
    p.wait()


def largest_answerable(cmd, env_extra, start):
    """The largest batch (starting from start records) whose request and
    response fit Lambda's synchronous limits, shrinking by 2%."""
    n = start
    while True:
        event = make_event(n)
        if len(event) <= MAX_REQUEST:
            api = MiniRuntimeApi()
            p = spawn(cmd, api, env_extra)
            try:
                api.wait_next()
                _, body = api.invoke(event)
            finally:
                stop(p)
                api.close()
            if len(body) <= MAX_RESPONSE:
                return n, event, len(body)
        n = int(n * 0.98)


def first_vs_warm(cmd, env_extra, event, rounds):
    firsts, warms, faults = [], [], []
    for _ in range(rounds):
        api = MiniRuntimeApi()
        p = spawn(cmd, api, env_extra)
        try:
            times, flt = [], []
            api.wait_next()
            for _ in range(WARM_INVOCATIONS + 1):
                before = minflt(p.pid)
                dt, _ = api.invoke(event)
                api.wait_next()  # the response is posted: the invocation is over
                flt.append(minflt(p.pid) - before)
                times.append(dt)
        finally:
            stop(p)
            api.close()
        firsts.append(times[0])
        warms.append(statistics.median(times[2:]))
        faults.append(flt)
    return firsts, warms, faults


def spawn_to_response(cmd, env_extra, event):
    api = MiniRuntimeApi()
    t0 = time.perf_counter()
    p = spawn(cmd, api, env_extra)
    try:
        api.wait_next()
        api.invoke(event)
        return time.perf_counter() - t0
    finally:
        stop(p)
        api.close()


def ms(x):
    return "%.2f ms" % (x * 1000)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap", required=True, help="the runtime under test")
    ap.add_argument("--noop", required=True, help="the static no-op runtime")
    ap.add_argument("--model", default=os.path.join(ROOT, "model", "iris-model.json"))
    ap.add_argument("--rounds", type=int, default=7, help="fresh processes for part 1")
    ap.add_argument("--spawns", type=int, default=40, help="spawns of each runtime for part 2")
    args = ap.parse_args()
    cmd, env_extra = [os.path.abspath(args.bootstrap)], {"MODEL_PATH": args.model}

    n, event, resp = largest_answerable(cmd, env_extra, 22500)
    print("bench-startup: %s" % args.bootstrap)
    print("largest answerable batch: %d records, request %d bytes, response %d bytes"
          % (n, len(event), resp))
    firsts, warms, faults = first_vs_warm(cmd, env_extra, event, args.rounds)
    first, warm = statistics.median(firsts), statistics.median(warms)
    # each process's own first/warm ratio: its invocations ran close together,
    # so a change in the machine's load between processes does not skew it
    ratio1 = statistics.median(f / w for f, w in zip(firsts, warms))
    print("  first invocation of a fresh process   %s (median of %d processes)"
          % (ms(first), args.rounds))
    print("  warm invocation (3rd and later)       %s" % ms(warm))
    print("  ratio (median of per-process ratios)  %.2fx (goal <= %.1fx)  %s"
          % (ratio1, FIRST_GOAL, "met" if ratio1 <= FIRST_GOAL else "NOT MET"))
    per_inv = [statistics.median(f[i] for f in faults) for i in range(WARM_INVOCATIONS + 1)]
    print("  minor page faults per invocation      %s (median over processes)"
          % ", ".join("%d" % x for x in per_inv))

    small = make_event(20)
    boot, noop = [], []
    for _ in range(args.spawns):  # alternately, so both see the same machine
        noop.append(spawn_to_response([os.path.abspath(args.noop)], {}, small))
        boot.append(spawn_to_response(cmd, env_extra, small))
    b, z = statistics.median(boot), statistics.median(noop)
    ratio2 = b / z
    print("spawn to first response, 20 records (median of %d, alternating)" % args.spawns)
    print("  bootstrap                             %s" % ms(b))
    print("  static no-op runtime                  %s" % ms(z))
    print("  ratio                                 %.2fx (goal <= %.1fx)  %s"
          % (ratio2, COLD_GOAL, "met" if ratio2 <= COLD_GOAL else "NOT MET"))
    print("  load average: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
