#!/usr/bin/python3
"""tests/integration/connector_retry_test.py: the Lambda sink connector stand-in
(build/sink-connector) against kafka-local and a scripted Invoke API.

The Invoke API here is a small fake (standard library HTTP server) whose
failures the test scripts per batch: a function error (HTTP 200 with
X-Amz-Function-Error, as Lambda answers) or an HTTP 500.  The bootstrap itself
is exercised by the demo test; this suite is about the connector's contract:
  - the payload is exactly the Confluent connector's shape;
  - a failing invocation is retried with the same payload and the batch then
    goes through: every record is written to the success topic exactly once;
  - a batch that keeps failing stops the connector without committing past it:
    a restart with the same group resumes at that batch's first offset;
  - usage errors are clear.
Closes with "N passed, N failed".
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from testlib import check, finish  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
CONNECTOR = os.environ.get("CONNECTOR", os.path.join(BUILD, "sink-connector"))
KAFKA_LOCAL = os.path.join(BUILD, "kafka-local")
N = 50
PROCS = []




class FakeInvoke:
    """POST /2015-03-31/functions/<name>/invocations; answers one element per
    record ({"payload": {..., "predictedSpecies": "setosa"}}) unless the plan
    says to fail the batch starting at that offset."""

    def __init__(self):
        self.requests = []  # (function name, parsed payload)
        self.plan = {}  # first offset -> list of "function"/"http" failures still to give
        self.always_fail = set()
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body, headers=()):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                parts = self.path.split("/")
                if len(parts) != 5 or parts[1:3] != ["2015-03-31", "functions"] \
                        or parts[4] != "invocations":
                    return self.reply(404, {"message": "unknown path " + self.path})
                try:
                    batch = json.loads(body)
                except ValueError:
                    return self.reply(400, {"message": "not JSON"})
                with fake.lock:
                    fake.requests.append((parts[3], batch))
                    first = batch[0]["payload"]["offset"] if batch else None
                    todo = fake.plan.get(first, [])
                    failure = todo.pop(0) if todo else None
                    if first in fake.always_fail:
                        failure = "function"
                if failure == "function":
                    return self.reply(200, {"errorMessage": "injected failure",
                                            "errorType": "Injected"},
                                      [("X-Amz-Function-Error", "Unhandled")])
                if failure == "http":
                    return self.reply(500, {"message": "injected service error"})
                out = [{"payload": dict(e["payload"], predictedSpecies="setosa")} for e in batch]
                return self.reply(200, out)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def batches(self):
        with self.lock:
            return [[e["payload"]["offset"] for e in b] for _, b in self.requests]

    def reset(self):
        with self.lock:
            self.requests.clear()
            self.plan.clear()
            self.always_fail.clear()


def start(cmd, **kw):
    p = subprocess.Popen(cmd, **kw)
    PROCS.append(p)
    return p


def cleanup(*_):
    for p in PROCS:
        if p.poll() is None:
            p.terminate()
    for p in PROCS:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def start_kafka(tmp):
    bfile = os.path.join(tmp, "bootstrap")
    start([KAFKA_LOCAL, "--brokers", "1", "--topic", "iris:1", "--topic", "out-1:1",
           "--topic", "out-2:1", "--bootstrap-file", bfile], stdout=subprocess.DEVNULL)
    deadline = time.time() + 15
    while time.time() < deadline:
        if os.path.exists(bfile):
            with open(bfile) as f:
                addr = f.read().strip()
            if addr:
                return addr
        time.sleep(0.05)
    raise RuntimeError("kafka-local did not write its bootstrap address within 15 s")


def produce(brokers):
    """N records on iris/0: record 3 keyed "k3", record 4 not JSON, the rest
    unkeyed JSON (kcat -K would give them an empty key, not none)."""
    def value(i):
        return json.dumps({"sepalLength": 5.1, "sepalWidth": 3.5, "petalLength": 1.4,
                           "petalWidth": 0.2, "species": "setosa", "seq": i})

    def kcat(lines, *extra):
        subprocess.run(["kcat", "-P", "-b", brokers, "-t", "iris", "-p", "0", *extra],
                       input="\n".join(lines) + "\n", text=True, check=True, timeout=30)

    kcat([value(i) for i in range(3)])
    kcat(["k3|" + value(3)], "-K", "|")
    kcat(["not json at all"])
    kcat([value(i) for i in range(5, N)])


def consume(brokers, topic):
    out = subprocess.run(["kcat", "-C", "-b", brokers, "-t", topic, "-o", "beginning", "-e", "-q",
                          "-f", "%s\n"], capture_output=True, text=True, timeout=30)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def connector(brokers, url, group, out_topic, *extra, timeout=60):
    cmd = [CONNECTOR, "-b", brokers, "-u", url, "-f", "iris-fn", "-g", group, "-s", out_topic,
           "--batch-size", "10", "--batch-wait-ms", "200", "--backoff-ms", "20",
           "--idle-exit-ms", "1500", *extra]
    p = start(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        err += "\n(timed out)"
    return p.returncode, err


def test_payload_shape(fake):
    reqs = list(fake.requests)
    check("the function name is in the Invoke API path", reqs and reqs[0][0] == "iris-fn",
          "iris-fn", reqs[0][0] if reqs else None)
    if not reqs:
        return
    batch = reqs[0][1]
    check("the first batch holds --batch-size records", len(batch) == 10, 10, len(batch))
    keys_ok = all(set(e) == {"payload"} and set(e["payload"]) ==
                  {"timestamp", "topic", "partition", "offset", "key", "value"} for e in batch)
    check("each element is {payload:{timestamp,topic,partition,offset,key,value}}", keys_ok,
          "exactly those keys", batch[0])
    p0 = batch[0]["payload"]
    check("topic, partition and offset are the record's",
          (p0["topic"], p0["partition"], p0["offset"]) == ("iris", 0, 0), ("iris", 0, 0),
          (p0["topic"], p0["partition"], p0["offset"]))
    now_ms = time.time() * 1000
    check("timestamp is the record's epoch milliseconds",
          isinstance(p0["timestamp"], int) and abs(p0["timestamp"] - now_ms) < 600000,
          "an int close to now", p0["timestamp"])
    check("a JSON value arrives as a JSON object", isinstance(p0["value"], dict)
          and p0["value"].get("species") == "setosa", "an object", p0["value"])
    check("an unkeyed record has key null", p0["key"] is None, None, p0["key"])
    check("a keyed record has its key as a string", batch[3]["payload"]["key"] == "k3", "k3",
          batch[3]["payload"]["key"])
    check("a value that is not JSON arrives as a string",
          batch[4]["payload"]["value"] == "not json at all", "not json at all",
          batch[4]["payload"]["value"])


def test_retry_then_success(brokers, fake):
    fake.reset()
    fake.plan[20] = ["function", "function"]
    fake.plan[40] = ["http"]
    rc, err = connector(brokers, fake.url, "g-retry", "out-1")
    check("connector exits 0 after retried batches go through", rc == 0, 0, f"{rc}: {err[-800:]}")
    test_payload_shape(fake)
    batches = fake.batches()
    starts = [b[0] for b in batches]
    check("the batch that failed twice (function error) was sent three times",
          starts.count(20) == 3, 3, starts)
    check("the batch that got an HTTP 500 was sent twice", starts.count(40) == 2, 2, starts)
    same = [json.dumps(b) for f, b in fake.requests if b and b[0]["payload"]["offset"] == 20]
    check("a retry sends the same payload", len(set(same)) == 1, "identical retries",
          f"{len(set(same))} distinct")
    check("the retries are logged with the offsets", "iris/0 offsets 20-29 failed" in err,
          "a line naming iris/0 offsets 20-29", err[-600:])
    out = consume(brokers, "out-1")
    offsets = sorted(r["payload"]["offset"] for r in out)
    check("every record is written to the success topic exactly once",
          offsets == list(range(N)), f"0..{N - 1} once each",
          f"{len(offsets)} results, duplicates {len(offsets) - len(set(offsets))}")
    check("each result carries the function's prediction",
          all(r["payload"].get("predictedSpecies") == "setosa" for r in out), "predictedSpecies",
          out[:1])


def test_no_commit_past_failure(brokers, fake):
    fake.reset()
    fake.always_fail.add(20)
    # A short session: the mock cluster waits out a departed member's session
    # before the restart's join completes.
    session = ("-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500")
    rc, err = connector(brokers, fake.url, "g-stuck", "out-2", "--retries", "2", *session)
    check("connector exits 1 when a batch keeps failing", rc == 1, 1, f"{rc}: {err[-600:]}")
    check("it says which offsets stay uncommitted and where a restart resumes",
          "giving up on iris/0 offsets 20-29" in err and "resumes at offset 20" in err,
          "giving up ... resumes at offset 20", err[-600:])
    starts = [b[0] for b in fake.batches()]
    check("the failing batch was tried 1 + --retries times", starts.count(20) == 3, 3, starts)
    check("nothing after the failing batch was invoked", max(starts) == 20, 20, starts)
    first_run = sorted(r["payload"]["offset"] for r in consume(brokers, "out-2"))
    check("only the batches before the failure were written", first_run == list(range(20)),
          "0..19", first_run)

    fake.reset()
    rc, err = connector(brokers, fake.url, "g-stuck", "out-2", *session)
    starts = [b[0] for b in fake.batches()]
    check("a restart with the same group exits 0", rc == 0, 0, f"{rc}: {err[-600:]}")
    check("the restart resumes at the failed batch's first offset (committed up to it, "
          "not past it)", starts[:1] == [20], "first batch at 20", starts)
    all_out = sorted(r["payload"]["offset"] for r in consume(brokers, "out-2"))
    check("across both runs every record is written exactly once", all_out == list(range(N)),
          f"0..{N - 1} once each", all_out)


def test_usage():
    p = subprocess.run([CONNECTOR, "--help"], capture_output=True, text=True, timeout=10)
    check("--help exits 0 and shows the usage", p.returncode == 0 and "Usage:" in p.stdout, 0,
          p.returncode)
    p = subprocess.run([CONNECTOR, "-u", "http://127.0.0.1:1"], capture_output=True, text=True,
                       timeout=10)
    check("no brokers: exit 2 and says to pass -b", p.returncode == 2 and "-b" in p.stderr,
          "exit 2, '-b'", f"{p.returncode}: {p.stderr.strip()}")
    p = subprocess.run([CONNECTOR, "-b", "127.0.0.1:1", "-u", "http://x", "--batch-size", "0"],
                       capture_output=True, text=True, timeout=10)
    check("a bad --batch-size is rejected by name", p.returncode == 2 and "--batch-size" in p.stderr,
          "exit 2, '--batch-size'", f"{p.returncode}: {p.stderr.strip()}")
    p = subprocess.run([CONNECTOR, "-b", "127.0.0.1:1", "-u", "http://x", "-X", "no.such=1"],
                       capture_output=True, text=True, timeout=10)
    check("an unknown librdkafka property is reported", p.returncode != 0 and "no.such" in p.stderr,
          "non-zero, 'no.such'", f"{p.returncode}: {p.stderr.strip()}")


def main():
    for path in (CONNECTOR, KAFKA_LOCAL):
        if not os.access(path, os.X_OK):
            print(f"FAIL - {path} is not built (make {os.path.relpath(path, ROOT)})")
            print("0 passed, 1 failed")
            return 1
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    fake = FakeInvoke()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            brokers = start_kafka(tmp)
            produce(brokers)
            test_retry_then_success(brokers, fake)
            test_no_commit_past_failure(brokers, fake)
            test_usage()
    finally:
        cleanup()
        fake.server.shutdown()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
