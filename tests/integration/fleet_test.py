#!/usr/bin/python3
"""tests/integration/fleet_test.py: a 6-partition topic through the connector
stand-in with tasks.max=3 into the real bootstrap, run the two ways Lambda
runs it for a connector whose tasks invoke in parallel:

  managed: one execution environment on Lambda Managed Instances: one
           build/asan/bootstrap with AWS_LAMBDA_MAX_CONCURRENCY=3 under the
           emulator's Managed Instances mode (up to 3 workers waiting on /next;
           an invoke that finds no idle worker is refused, as AWS's emulator
           does).  The emulator must refuse none, see no protocol violation
           and keep one process.

  classic: three sandboxes, each an emulator with its own build/asan/bootstrap,
           behind one Invoke endpoint (deploy/demo_front.py's LambdaFront).  Classic Lambda
           gives each execution environment one invocation at a time: "If the
           function is invoked again while a request is still being processed,
           another instance is allocated, which increases the function's
           concurrency" (Lambda developer guide, "Managing concurrency for a
           Lambda function").  The connector knows one function name; which
           sandbox answers is Lambda's choice, so the front, not the
           connector, picks an idle sandbox for each invocation.  Three are
           started because tasks.max=3 bounds the invocations in flight; a
           fourth at once would be a bug in the stand-in and is answered 500.

Both see the same stream on a fresh topic each.  Checked: the connector's
group splits the partitions 2 per task; every record has exactly one result
in the success topic, with its prediction; the runtimes together scored each
record once (their "batch scored" lines add up to the records sent, their
EMF Records metric too); the tasks invoked in parallel (the front holds the
first invocations until one from each task is in flight, so a connector that
invoked one at a time fails); each partition's records reached the function
in offset order.  Closes with "N passed, N failed".
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from rapi_harness import Function  # noqa: E402
from testlib import ROOT, check, finish, kcat_produce, start, stop, wait_file  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "deploy"))
import connector_group  # noqa: E402
from demo_front import LambdaFront  # noqa: E402

BUILD = os.path.join(ROOT, "build")
BOOTSTRAP = os.environ.get("BOOTSTRAP", os.path.join(BUILD, "asan", "bootstrap"))
CONNECTOR = os.environ.get("CONNECTOR", os.path.join(BUILD, "asan", "sink-connector"))
KAFKA_LOCAL = os.path.join(BUILD, "kafka-local")
PARTITIONS = 6
TASKS = 3
PER_PARTITION = 150
BATCH = 20


def iris_rows():
    with open(os.path.join(ROOT, "model", "iris.csv"), newline="") as f:
        return [{"sepalLength": float(r["sepal_length"]), "sepalWidth": float(r["sepal_width"]),
                 "petalLength": float(r["petal_length"]), "petalWidth": float(r["petal_width"]),
                 "species": r["species"]} for r in csv.DictReader(f)]


def produce(brokers, topic):
    rows = iris_rows()
    kcat_produce(brokers, topic, [
        [json.dumps(rows[(p * PER_PARTITION + i) % len(rows)]) for i in range(PER_PARTITION)]
        for p in range(PARTITIONS)])


def consume(brokers, topic):
    out = subprocess.run(["kcat", "-C", "-b", brokers, "-t", topic, "-o", "beginning", "-e", "-q"],
                         capture_output=True, text=True, timeout=60)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


class Connector:
    """The stand-in, its stderr read as it comes (the assignment lines)."""

    def __init__(self, brokers, url, topic, out_topic, log_path):
        self.log_path = log_path
        cmd = [CONNECTOR, "-b", brokers, "-u", url, "-t", topic, "-g", "g-" + out_topic,
               "--tasks-max", str(TASKS), "--batch-size", str(BATCH), "--batch-wait-ms", "200",
               "--idle-exit-ms", "2500", "-s", out_topic, "-v"] + connector_group.KAFKA_LOCAL_GROUP
        self.proc = start(cmd, log_path)

    def settled(self):
        """The tasks' assignments once the group is stable (deploy/connector_group.py),
        or what was seen when it did not settle (the split check then fails)."""
        try:
            return connector_group.wait_settled(self.output, self.proc, TASKS, PARTITIONS)[0]
        except connector_group.GroupNotSettled as e:
            print(f"fleet_test: {e}", file=sys.stderr, flush=True)
            return e.seen

    def wait(self, timeout=120):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(self.proc, 5)
            return None

    def output(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


def scored_lines(fn):
    return [line for line in fn.log_lines() if line.get("message") == "batch scored"]


def emf_records(fn):
    return sum(line.get("Records", 0) for line in fn.log_lines() if "_aws" in line)


def check_stream(label, brokers, out_topic, front, sandboxes, conn, a):
    total = PARTITIONS * PER_PARTITION
    check(f"{label}: the group splits the {PARTITIONS} partitions 2 per task",
          sorted(a.values()) == [[0, 1], [2, 3], [4, 5]], [[0, 1], [2, 3], [4, 5]], a)
    rc = conn.wait()
    check(f"{label}: the connector exits 0 once the stream is done", rc == 0, 0,
          f"{rc}: {conn.output()[-800:]}")
    results = consume(brokers, out_topic)
    keys = sorted((r["payload"]["partition"], r["payload"]["offset"]) for r in results)
    want = [(p, o) for p in range(PARTITIONS) for o in range(PER_PARTITION)]
    if not check(f"{label}: every record has exactly one result in the success topic",
                 keys == want, f"{total} results, one per record",
                 f"{len(keys)} results, {len(set(keys))} distinct"):
        print(f"fleet_test: {label}: the connector's log ends:\n{conn.output()[-3000:]}",
              file=sys.stderr, flush=True)
    unscored = [r for r in results if "predictedSpecies" not in r["payload"]]
    check(f"{label}: each result carries the function's prediction", not unscored, "none missing",
          unscored[:1])
    scored = [sum(line["records"] for line in scored_lines(fn)) for fn in sandboxes]
    check(f"{label}: the runtimes scored {total} records between them, each once "
          f"(batch scored lines)", sum(scored) == total, total, scored)
    emf = [emf_records(fn) for fn in sandboxes]
    check(f"{label}: their EMF Records metrics add up to the records sent", sum(emf) == total,
          total, emf)
    check(f"{label}: the {TASKS} tasks invoked in parallel ({TASKS} in flight at once, never more)",
          front.max_inflight == TASKS, TASKS, front.max_inflight)
    for p in range(PARTITIONS):
        offsets = [o for _, parts, offs in front.log if parts == {p} for o in offs]
        check(f"{label}: partition {p} reached the function in offset order, each record once",
              offsets == list(range(PER_PARTITION)), f"0..{PER_PARTITION - 1}",
              offsets[:10] + ["..."] if offsets != list(range(PER_PARTITION)) else "ok")


def test_classic(brokers, tmp):
    """(b) Three classic sandboxes behind one endpoint."""
    env = {"ALERT_MODE": "off"}
    sandboxes = [Function(BOOTSTRAP, env=env) for _ in range(TASKS)]
    front = LambdaFront([s.base for s in sandboxes], wait=False, gather=TASKS)
    try:
        conn = Connector(brokers, front.url, "iris", "success-classic",
                         os.path.join(tmp, "connector-classic.log"))
        a = conn.settled()
        produce(brokers, "iris")
        check_stream("classic x3", brokers, "success-classic", front, sandboxes, conn, a)
    finally:
        front.close()
        for fn in sandboxes:
            fn.close()


def test_managed(brokers, tmp):
    """(a) One Managed Instances execution environment, three workers."""
    env = {"ALERT_MODE": "off", "AWS_LAMBDA_MAX_CONCURRENCY": str(TASKS)}
    fn = Function(BOOTSTRAP, env=env)
    front = LambdaFront([fn.base], slots=TASKS, wait=False, gather=TASKS)
    try:
        conn = Connector(brokers, front.url, "iris-mi", "success-managed",
                         os.path.join(tmp, "connector-managed.log"))
        a = conn.settled()
        produce(brokers, "iris-mi")
        check_stream("managed N=3", brokers, "success-managed", front, [fn], conn, a)
        st = fn.state()
        check("managed N=3: the emulator ran in Managed Instances mode with 3 workers polling",
              st.get("maxConcurrency") == TASKS and st.get("maxIdle") == TASKS,
              (TASKS, TASKS), (st.get("maxConcurrency"), st.get("maxIdle")))
        check("managed N=3: no invocation refused for want of an idle worker",
              st.get("refused") == 0, 0, st.get("refused"))
        check("managed N=3: no protocol violation (each answer on its own connection, once)",
              st.get("violations") == [], [], st.get("violations"))
        check("managed N=3: one process served it all", st.get("alive") and st.get("exits") == [],
              "alive, no exit", (st.get("alive"), st.get("exits")))
    finally:
        front.close()
        fn.close()


def start_kafka(tmp):
    bfile = os.path.join(tmp, "bootstrap")
    proc = start([KAFKA_LOCAL, "--brokers", "1", "--topic", "iris:%d" % PARTITIONS,
                  "--topic", "iris-mi:%d" % PARTITIONS, "--bootstrap-file", bfile],
                 os.path.join(tmp, "kafka.log"))
    return proc, wait_file(bfile, proc, "kafka-local")


def main():
    for path in (BOOTSTRAP, CONNECTOR, KAFKA_LOCAL):
        if not os.access(path, os.X_OK):
            check(f"{os.path.relpath(path, ROOT)} is built", False, "an executable", "missing")
            return finish()
    with tempfile.TemporaryDirectory(prefix="fleet-") as tmp:
        kafka, brokers = start_kafka(tmp)
        try:
            test_classic(brokers, tmp)
            test_managed(brokers, tmp)
        finally:
            stop(kafka, 10)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
