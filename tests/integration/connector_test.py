#!/usr/bin/python3
"""tests/integration/connector_test.py: the Confluent AWS Lambda Sink connector
stand-in (build/sink-connector) against kafka-local and a scripted Invoke API.

The Invoke API here is a small fake (standard library HTTP server) that
answers one element per record, and fails the batches the test scripts: a
function error (HTTP 200 with X-Amz-Function-Error, as Lambda answers) or an
HTTP 500.  Each behaviour checked is the connector's, with its default
(connector_config.h names the property and the document):
  - the payload shape; key and value as each input.data.format x
    record.converter.class gives them (JSON + JsonKeyValueConverter: Java's
    Map.toString() in HashMap order; JSON + EscapedJsonKeyValueConverter:
    escaped JSON; a schema format: a JSON object; BYTES: base64);
  - aws.lambda.batch.size; the result topic success-${connector}, the error
    topic error-${connector}; a record the converter cannot read goes to the
    dead letter queue with Kafka Connect's error headers;
  - behavior.on.error: log (the default: the failed batch's records to the
    error topic, proceed), ignore (proceed), fail (stop; nothing committed past
    the failed batch: a restart resumes at its first record);
  - no retry by default (the connector never retries); --retries is opt-in;
  - tasks.max (default 1): each task a consumer in the group, the partitions
    split among them by the range assignor; tasks invoke in parallel (the
    fake sees tasks.max invocations in flight at once, never more), one
    partition's batches in order and never two at once;
  - usage errors are specific.
Expected strings are written by hand.  Closes with "N passed, N failed".
"""
import base64
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from testlib import check, finish, kcat_produce, serve_http, wait_file  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
                                "deploy"))
import connector_group  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
CONNECTOR = os.environ.get("CONNECTOR", os.path.join(BUILD, "sink-connector"))
KAFKA_LOCAL = os.path.join(BUILD, "kafka-local")
N = 50
PROCS = []


GATHER_TIMEOUT = 10.0


class FakeInvoke:
    """POST /2015-03-31/functions/<name>/invocations; answers one element per
    record ({"payload": {..., "predictedSpecies": "setosa"}}) unless the plan
    says to fail the batch starting at that offset."""

    def __init__(self):
        self.requests = []  # (function name, parsed payload)
        self.plan = {}  # first offset -> list of "function"/"http" failures still to give
        self.always_fail = set()
        self.delay = 0.0  # seconds each invocation takes
        # Holds the first invocations until this many are in flight (once, at
        # most GATHER_TIMEOUT s): parallel tasks overlap by construction.
        self.gather = 0
        self.inflight = 0
        self.max_inflight = 0
        self.spans = []  # (start, end, partition, [offsets]) per answered invocation
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
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
                    fake.inflight += 1
                    fake.max_inflight = max(fake.max_inflight, fake.inflight)
                    if fake.gather and fake.cond.wait_for(
                            lambda: fake.inflight >= fake.gather, GATHER_TIMEOUT):
                        fake.gather = 0
                        fake.cond.notify_all()
                    start = time.monotonic()
                time.sleep(fake.delay)
                with fake.lock:
                    fake.inflight -= 1
                    fake.spans.append((start, time.monotonic(),
                                       {e["payload"]["partition"] for e in batch},
                                       [e["payload"]["offset"] for e in batch]))
                if failure == "function":
                    return self.reply(200, {"errorMessage": "injected failure",
                                            "errorType": "Injected"},
                                      [("X-Amz-Function-Error", "Unhandled")])
                if failure == "http":
                    return self.reply(500, {"message": "injected service error"})
                out = [{"payload": dict(e["payload"], predictedSpecies="setosa")} for e in batch]
                return self.reply(200, out)

        self.server, self.url = serve_http(Handler)

    def batches(self):
        with self.lock:
            return [[e["payload"]["offset"] for e in b] for _, b in self.requests]

    def reset(self):
        with self.lock:
            self.requests.clear()
            self.plan.clear()
            self.always_fail.clear()
            self.delay = 0.0
            self.gather = 0
            self.max_inflight = 0
            self.spans.clear()


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
    proc = start([KAFKA_LOCAL, "--brokers", "1", "--topic", "iris:1", "--topic", "fleet:6",
                  "--topic", "fleet1:6", "--bootstrap-file", bfile],
                 stdout=subprocess.DEVNULL)
    return wait_file(bfile, proc, "kafka-local")


def value_bytes(i):
    """Record i's value as the producer writes it (record 2: 5.0 and a null label)."""
    v = {"sepalLength": 5.1, "sepalWidth": 3.5, "petalLength": 1.4, "petalWidth": 0.2,
         "species": "setosa", "seq": i}
    if i == 2:
        v.update(sepalLength=5.0, species=None)
    return json.dumps(v)


def produce(brokers):
    """N records on iris/0: record 3 keyed "k3", record 4 not JSON, the rest
    unkeyed JSON (kcat -K would give them an empty key, not none)."""
    def kcat(lines, *extra):
        subprocess.run(["kcat", "-P", "-b", brokers, "-t", "iris", "-p", "0", *extra],
                       input="\n".join(lines) + "\n", text=True, check=True, timeout=30)

    kcat([value_bytes(i) for i in range(3)])
    kcat(["k3|" + value_bytes(3)], "-K", "|")
    kcat(["not json at all"])
    kcat([value_bytes(i) for i in range(5, N)])


def consume(brokers, topic, fmt="%s\n"):
    out = subprocess.run(["kcat", "-C", "-b", brokers, "-t", topic, "-o", "beginning", "-e", "-q",
                          "-f", fmt], capture_output=True, text=True, timeout=30)
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    return [json.loads(line) for line in lines] if fmt == "%s\n" else lines


def connector(brokers, url, group, *extra, timeout=60):
    cmd = [CONNECTOR, "-b", brokers, "-u", url, "-f", "iris-fn", "-g", group,
           "--batch-size", "10", "--batch-wait-ms", "200", "--idle-exit-ms", "1500", *extra]
    p = start(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        err += "\n(timed out)"
    return p.returncode, err


def first_values(fake):
    """offset -> payload of the first request that carried it."""
    seen = {}
    for _, batch in list(fake.requests):
        for e in batch:
            seen.setdefault(e["payload"]["offset"], e["payload"])
    return seen


# What Kafka Connect's JsonConverter (schemaless) hands the connector for
# record 0 is a java.util.HashMap; JsonKeyValueConverter sends its toString().
# HashMap order, worked out by hand from String.hashCode() (h ^ h >>> 16, 16
# buckets): petalLength 0, petalWidth 0, sepalLength 3, species 5,
# sepalWidth 9, seq 14.
MAP_0 = "{petalLength=1.4, petalWidth=0.2, sepalLength=5.1, species=setosa, sepalWidth=3.5, seq=0}"
MAP_2 = "{petalLength=1.4, petalWidth=0.2, sepalLength=5.0, species=null, sepalWidth=3.5, seq=2}"
ESCAPED_0 = ('{"petalLength":1.4,"petalWidth":0.2,"sepalLength":5.1,"species":"setosa",'
             '"sepalWidth":3.5,"seq":0}')
NOT_4 = [i for i in range(N) if i != 4]


def test_defaults(brokers, fake):
    """JSON + JsonKeyValueConverter, behavior.on.error=log, default topic names."""
    fake.reset()
    fake.plan[20] = ["function"]
    rc, err = connector(brokers, fake.url, "g-default")
    check("the connector proceeds past a failed batch and exits 0 (behavior.on.error=log)",
          rc == 0, 0, f"{rc}: {err[-800:]}")
    reqs = list(fake.requests)
    check("the function name is in the Invoke API path", reqs and reqs[0][0] == "iris-fn",
          "iris-fn", reqs[0][0] if reqs else None)
    if not reqs:
        return
    batch = reqs[0][1]
    keys_ok = all(set(e) == {"payload"} and set(e["payload"]) ==
                  {"timestamp", "topic", "partition", "offset", "key", "value"} for e in batch)
    check("each element is {payload:{timestamp,topic,partition,offset,key,value}}", keys_ok,
          "exactly those keys", batch[0])
    check("a batch holds aws.lambda.batch.size records minus the one sent to the DLQ",
          [e["payload"]["offset"] for e in batch] == [0, 1, 2, 3, 5, 6, 7, 8, 9],
          [0, 1, 2, 3, 5, 6, 7, 8, 9], [e["payload"]["offset"] for e in batch])
    p0 = batch[0]["payload"]
    check("topic, partition and offset are the record's",
          (p0["topic"], p0["partition"], p0["offset"]) == ("iris", 0, 0), ("iris", 0, 0),
          (p0["topic"], p0["partition"], p0["offset"]))
    now_ms = time.time() * 1000
    check("timestamp is the record's epoch milliseconds",
          isinstance(p0["timestamp"], int) and abs(p0["timestamp"] - now_ms) < 600000,
          "an int close to now", p0["timestamp"])
    vals = first_values(fake)
    check("JSON + JsonKeyValueConverter: the value is Java's Map.toString() in HashMap order",
          vals[0]["value"] == MAP_0, MAP_0, vals[0]["value"])
    check("a whole double keeps its .0 and a JSON null prints as null",
          vals[2]["value"] == MAP_2, MAP_2, vals[2]["value"])
    check("an unkeyed record has key null", p0["key"] is None, None, p0["key"])
    check("a keyed record's key is its string", vals[3]["key"] == "k3", "k3", vals[3]["key"])
    starts = [b[0] for b in fake.batches()]
    check("the failed batch was invoked once: the connector does not retry",
          starts.count(20) == 1, 1, starts)
    results = consume(brokers, "success-iris-lambda-sink")
    got = sorted(r["payload"]["offset"] for r in results)
    want = [i for i in NOT_4 if not 20 <= i <= 29]
    check("success-${connector} holds one result per record of the batches that succeeded",
          got == want, want, got)
    errors = consume(brokers, "error-iris-lambda-sink")
    got = sorted(e["payload"]["offset"] for e in errors)
    check("error-${connector} holds the failed batch's records (offsets 20-29)",
          got == list(range(20, 30)), list(range(20, 30)), got)
    check("each error record says what failed (the function error and its message)",
          errors and all("X-Amz-Function-Error: Unhandled" in e.get("error", "") and
                         "injected failure" in e["error"] for e in errors),
          "'X-Amz-Function-Error: Unhandled ... injected failure'", errors[:1])
    dlq = consume(brokers, "dlq-iris-lambda-sink", "%s|%h\n")
    check("the record the JSON converter cannot read goes to dlq-${connector} with its "
          "error context headers", len(dlq) == 1 and dlq[0].startswith("not json at all|") and
          "__connect.errors.offset=4" in dlq[0] and
          "__connect.errors.exception.message=" in dlq[0],
          "'not json at all|...__connect.errors.offset=4...'", dlq)


def test_formats(brokers, fake):
    """Each other input.data.format x record.converter.class (first batch only)."""
    cases = [
        ("JSON", "EscapedJsonKeyValueConverter", ESCAPED_0,
         "JSON + EscapedJsonKeyValueConverter: escaped JSON of the same HashMap"),
        ("AVRO", "JsonKeyValueConverter", json.loads(value_bytes(0)),
         "AVRO + JsonKeyValueConverter: a JSON object (the schema's struct)"),
        ("JSON_SR", "io.confluent.connect.aws.lambda.converter.EscapedJsonKeyValueConverter",
         json.loads(value_bytes(0)),
         "JSON_SR + EscapedJsonKeyValueConverter (class name): with a schema, still an object"),
        ("BYTES", "JsonKeyValueConverter",
         base64.b64encode(value_bytes(0).encode()).decode(),
         "BYTES: base64 of the record's bytes"),
    ]
    for i, (fmt, conv, want, name) in enumerate(cases):
        fake.reset()
        rc, err = connector(brokers, fake.url, f"g-format-{i}", "--input-data-format", fmt,
                            "--record-converter", conv, "--max-records", "10",
                            "-s", f"out-format-{i}")
        got = first_values(fake).get(0, {}).get("value")
        check(name, rc == 0 and got == want, want, f"exit {rc}: {got!r} {err[-300:]}")
        if fmt == "BYTES":
            got = first_values(fake).get(4, {}).get("value")
            want = base64.b64encode(b"not json at all").decode()
            check("BYTES sends even a value that is not JSON (no DLQ)", got == want, want, got)


def test_ignore(brokers, fake):
    fake.reset()
    fake.plan[20] = ["http"]
    rc, err = connector(brokers, fake.url, "g-ignore", "--behavior-on-error", "ignore",
                        "-s", "out-ignore", "--error-topic", "err-ignore")
    check("behavior.on.error=ignore: exits 0 past an HTTP 500", rc == 0, 0, f"{rc}: {err[-600:]}")
    got = sorted(r["payload"]["offset"] for r in consume(brokers, "out-ignore"))
    want = [i for i in NOT_4 if not 20 <= i <= 29]
    check("ignore: every other batch's results are written", got == want, want, got)
    errs = consume(brokers, "err-ignore")
    check("ignore: nothing goes to the error topic", errs == [], [], errs[:1])


def test_fail_and_resume(brokers, fake):
    fake.reset()
    fake.always_fail.add(20)
    # A short session: the mock cluster waits out a departed member's session
    # before the restart's join completes.
    session = ("-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500")
    rc, err = connector(brokers, fake.url, "g-fail", "--behavior-on-error", "fail",
                        "-s", "out-fail", *session)
    check("behavior.on.error=fail: the connector stops (exit 1)", rc == 1, 1,
          f"{rc}: {err[-600:]}")
    check("it says which offsets stay uncommitted and where a restart resumes",
          "stopping (behavior.on.error=fail): iris/0 offsets 20-29" in err and
          "resumes at offset 20" in err, "stopping ... resumes at offset 20", err[-600:])
    starts = [b[0] for b in fake.batches()]
    check("fail: the failed batch was tried once, nothing after it was invoked",
          starts.count(20) == 1 and max(starts) == 20, "20 once, last", starts)
    first_run = sorted(r["payload"]["offset"] for r in consume(brokers, "out-fail"))
    check("fail: only the batches before it were written",
          first_run == [i for i in NOT_4 if i < 20], "0..19 without 4", first_run)
    fake.reset()
    rc, err = connector(brokers, fake.url, "g-fail", "-s", "out-fail", *session)
    starts = [b[0] for b in fake.batches()]
    check("a restart with the same group exits 0", rc == 0, 0, f"{rc}: {err[-600:]}")
    check("the restart resumes at the failed batch's first offset (at-least-once)",
          starts[:1] == [20], "first batch at 20", starts)
    all_out = sorted(r["payload"]["offset"] for r in consume(brokers, "out-fail"))
    check("across both runs every record is written exactly once", all_out == NOT_4,
          f"0..{N - 1} without 4, once each", all_out)


def test_retries_opt_in(brokers, fake):
    fake.reset()
    fake.plan[20] = ["function", "http"]
    rc, err = connector(brokers, fake.url, "g-retry", "--retries", "2", "--backoff-ms", "20",
                        "-s", "out-retry", "--error-topic", "err-retry")
    starts = [b[0] for b in fake.batches()]
    check("--retries 2 (the stand-in's own, off by default): the batch is sent 3 times",
          rc == 0 and starts.count(20) == 3, 3, f"exit {rc}: {starts}")
    same = [json.dumps(b) for f, b in fake.requests if b and b[0]["payload"]["offset"] == 20]
    check("a retry sends the same payload", len(set(same)) == 1, "identical retries",
          f"{len(set(same))} distinct")
    got = sorted(r["payload"]["offset"] for r in consume(brokers, "out-retry"))
    check("after the retries every record has its result, none in the error topic",
          got == NOT_4 and consume(brokers, "err-retry") == [], "all but 4; no errors", got)


# --- tasks.max -------------------------------------------------------------

FLEET_PER_PARTITION = 30


def produce_partitions(brokers, topic, partitions=6, n=FLEET_PER_PARTITION):
    """n JSON records on each partition, all partitions at once; "seq" counts
    within the partition."""
    kcat_produce(brokers, topic, [
        [json.dumps({"sepalLength": 5.1, "sepalWidth": 3.5, "petalLength": 1.4,
                     "petalWidth": 0.2, "species": "setosa", "seq": i}) for i in range(n)]
        for _ in range(partitions)])


class Running:
    """The connector as a process whose stderr is read as it comes (the
    tasks' assignment lines tell when the group is settled)."""

    def __init__(self, cmd):
        self.proc = start(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def assignments(self):
        """task -> the partitions of its latest assignment."""
        latest = {}
        with self.lock:
            for line in self.lines:
                m = re.match(r"sink-connector: task (\d+): assigned \d+ partition\(s\): (.*)$", line)
                if m:
                    latest[int(m.group(1))] = sorted(int(x.rsplit("/", 1)[1])
                                                     for x in m.group(2).split(",") if x)
        return latest

    def wait(self, timeout=90):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(5)
        with self.lock:
            return self.proc.returncode, "\n".join(self.lines)


def settled(run, tasks, partitions=6, timeout=60):
    """Waits until the latest assignments of all tasks split the partitions."""
    deadline = time.time() + timeout
    while time.time() < deadline and run.proc.poll() is None:
        a = run.assignments()
        got = sorted(p for ps in a.values() for p in ps)
        if len(a) == tasks and got == list(range(partitions)):
            return a
        time.sleep(0.1)
    return run.assignments()


def check_partition_order(fake, partitions, label):
    """One partition per invocation; each partition's batches in offset order,
    every offset once, and never two of its batches in flight at once."""
    spans = sorted(fake.spans)
    mixed = [s for s in spans if len(s[2]) != 1]
    check(f"{label}: every invocation carries one partition's records", not mixed, "none mixed",
          mixed[:2])
    for p in range(partitions):
        mine = [s for s in spans if s[2] == {p}]
        offsets = [o for s in mine for o in s[3]]
        overlap = [(a[3][0], b[3][0]) for a, b in zip(mine, mine[1:]) if b[0] < a[1]]
        check(f"{label}: partition {p}'s records invoked in order, each once, one batch at a time",
              offsets == list(range(FLEET_PER_PARTITION)) and not overlap,
              f"0..{FLEET_PER_PARTITION - 1}, no overlap", (offsets, overlap))


def test_tasks_parallel(brokers, fake):
    """tasks.max=3 on 6 partitions: 2 partitions a task, 3 invocations at once."""
    fake.reset()
    fake.delay = 0.3
    fake.gather = 3
    run = Running([CONNECTOR, "-b", brokers, "-u", fake.url, "-f", "iris-fn", "-t", "fleet",
                   "-g", "g-tasks", "--tasks-max", "3", "--batch-size", "10",
                   "--batch-wait-ms", "200", "--idle-exit-ms", "2000", "-s", "out-tasks", "-v"]
                  + connector_group.KAFKA_LOCAL_GROUP)
    a = settled(run, 3)
    # RangeAssignor: members sorted, each takes a contiguous share.
    check("tasks.max=3: the group splits the 6 partitions 2 per task, contiguous (range assignor)",
          sorted(a.values()) == [[0, 1], [2, 3], [4, 5]], [[0, 1], [2, 3], [4, 5]], a)
    produce_partitions(brokers, "fleet")
    rc, err = run.wait()
    check("tasks.max=3: exits 0 once idle", rc == 0, 0, f"{rc}: {err[-600:]}")
    check("tasks.max=3: tasks invoke in parallel: 3 invocations in flight at once, never more",
          fake.max_inflight == 3, 3, fake.max_inflight)
    check_partition_order(fake, 6, "tasks.max=3")
    got = sorted((r["payload"]["partition"], r["payload"]["offset"])
                 for r in consume(brokers, "out-tasks"))
    want = [(p, o) for p in range(6) for o in range(FLEET_PER_PARTITION)]
    check("tasks.max=3: one result per record", got == want, f"{len(want)} results",
          f"{len(got)} results")
    check("the closing line counts the tasks", "3 task(s)" in err, "'3 task(s)'", err[-300:])


def test_tasks_default(brokers, fake):
    """The default, tasks.max=1: one task owns every partition, one invocation at a time."""
    fake.reset()
    fake.delay = 0.1
    produce_partitions(brokers, "fleet1")
    rc, err = connector(brokers, fake.url, "g-tasks-1", "-t", "fleet1", "-v",
                        "-s", "out-tasks-1")
    a = [line for line in err.splitlines() if ": assigned " in line]
    check("tasks.max defaults to 1: one task, assigned all 6 partitions",
          a and all(line.startswith("sink-connector: task 0: assigned 6 partition(s)") for line in a),
          "task 0: assigned 6 partition(s)", a)
    check("tasks.max=1: never two invocations in flight", rc == 0 and fake.max_inflight == 1,
          "exit 0, 1", (rc, fake.max_inflight))
    check_partition_order(fake, 6, "tasks.max=1")


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
    for bad in ("0", "65"):
        p = subprocess.run([CONNECTOR, "-b", "127.0.0.1:1", "-u", "http://x", "--tasks-max", bad],
                           capture_output=True, text=True, timeout=10)
        check(f"--tasks-max {bad} is refused with the accepted range (tasks.max is at least 1)",
              p.returncode == 2 and "--tasks-max" in p.stderr and "from 1 to 64" in p.stderr,
              "exit 2, 'from 1 to 64'", f"{p.returncode}: {p.stderr.strip()}")
    for args, word in ((["--behavior-on-error", "retry"], "log fail ignore"),
                       (["--input-data-format", "XML"], "JSON JSON_SR AVRO PROTOBUF BYTES"),
                       (["--record-converter", "StringConverter"], "EscapedJsonKeyValueConverter"),
                       (["--invocation-type", "async"], "only sync")):
        p = subprocess.run([CONNECTOR, "-b", "127.0.0.1:1", "-u", "http://x", *args],
                           capture_output=True, text=True, timeout=10)
        check(f"{args[0]} {args[1]} is refused, naming what is accepted",
              p.returncode == 2 and word in p.stderr, f"exit 2, '{word}'",
              f"{p.returncode}: {p.stderr.strip()}")
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
            test_defaults(brokers, fake)
            test_formats(brokers, fake)
            test_ignore(brokers, fake)
            test_fail_and_resume(brokers, fake)
            test_retries_opt_in(brokers, fake)
            test_tasks_parallel(brokers, fake)
            test_tasks_default(brokers, fake)
            test_usage()
    finally:
        cleanup()
        fake.server.shutdown()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
