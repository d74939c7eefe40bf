"""Helpers for the producer's integration tests: run build/kafka-local, the
producer and kcat as real processes over TCP on 127.0.0.1.  A suite runs its
test_* functions with testlib.main(globals(), cleanup=kill_children).

Every process started here is killed on exit, also when a test fails or the
run is interrupted (SIGINT/SIGTERM).
"""
import atexit
import csv
import json
import os
import random
import re
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time

from testlib import ROOT, TempProcess, TestFailure, require, stop  # noqa: F401

# The binaries under test: build/ by default; `make test` points these at the
# ASan+UBSan builds in build/asan/.
PRODUCER = os.path.join(ROOT, os.environ.get("PRODUCER_BIN", "build/producer"))
KAFKA_LOCAL = os.path.join(ROOT, os.environ.get("KAFKA_LOCAL_BIN", "build/kafka-local"))
IRIS_CSV = os.path.join(ROOT, "model", "iris.csv")
FIELDS = ["sepalLength", "sepalWidth", "petalLength", "petalWidth", "species"]

_children = []
# The producer's suites run from here, so the producer finds model/iris.csv
# through its own path, not through the working directory.
INTEGRATION_DIR = os.path.join(ROOT, "tests", "integration")


def kill_children():
    """Kills every process spawn() started that still runs (after each test,
    and at exit)."""
    for p in _children:
        if p.poll() is None:
            p.kill()
            p.wait()
    _children.clear()


def _on_signal(signum, frame):
    kill_children()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)
atexit.register(kill_children)


def spawn(args, **kw):
    """Popen that is killed when the test run ends."""
    p = subprocess.Popen(args, **kw)
    _children.append(p)
    return p




class KafkaLocal(TempProcess):
    """A running build/kafka-local with a control socket."""

    def __init__(self, brokers=3, topics=("iris:3",)):
        self.dir = tempfile.mkdtemp(prefix="kafka-local-")
        self.control_path = os.path.join(self.dir, "control.sock")
        self.bootstrap_file = os.path.join(self.dir, "bootstrap")
        args = [KAFKA_LOCAL, "--brokers", str(brokers),
                "--bootstrap-file", self.bootstrap_file, "--control", self.control_path]
        for t in topics:
            args += ["--topic", t]
        self.log = open(os.path.join(self.dir, "stderr"), "w+")
        self.proc = spawn(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.bootstrap = self.proc.stdout.readline().strip()
        if not self.bootstrap:
            self.stop()
            raise TestFailure("kafka-local printed no bootstrap address")

    def control(self, *commands):
        """Sends control commands; fails unless each is answered 'ok'.
        Returns the text after 'ok' of the last reply."""
        reply = ""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(self.control_path)
            f = s.makefile("rw")
            for c in commands:
                f.write(c + "\n")
                f.flush()
                reply = f.readline().strip()
                require(f"kafka-local control '{c}'", reply.split(" ")[0] == "ok", "ok", reply)
        return reply[3:]


class Run:
    def __init__(self, rc, out, err, elapsed):
        self.rc, self.out, self.err, self.elapsed = rc, out, err, elapsed

    @property
    def output(self):
        return self.out + self.err


def run_producer(args, timeout=60):
    """Runs build/producer to completion."""
    start = time.monotonic()
    p = spawn([PRODUCER] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
              text=True, stdin=subprocess.DEVNULL)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise TestFailure(f"producer {' '.join(args)} still running after {timeout} s; "
                          f"stderr: {err[-2000:]}")
    return Run(p.returncode, out, err, time.monotonic() - start)


PROGRESS = re.compile(r"progress: sent (\d+), delivered (\d+), in flight (\d+), failed (\d+)")


class LiveProducer:
    """build/producer running in the background, its stderr read line by line
    as it is written, so a test waits for what the producer reports (a
    progress line, a stop message) instead of sleeping for a fixed time: on a
    loaded machine a fixed sleep ends before the producer got anywhere.
    Every wait has a deadline and fails the test, with the stderr so far,
    when the deadline passes or the producer exits first."""

    def __init__(self, args):
        self.args = list(args)
        self.proc = spawn([PRODUCER] + self.args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        self.lines = []  # stderr so far
        self.seen = 0  # lines a wait already looked at
        self.cond = threading.Condition()
        self.out = []
        self.readers = [threading.Thread(target=self._read_err, daemon=True),
                        threading.Thread(target=lambda: self.out.append(self.proc.stdout.read()),
                                         daemon=True)]
        for t in self.readers:
            t.start()

    def _read_err(self):
        for line in self.proc.stderr:
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)  # end of stderr: the producer exited
            self.cond.notify_all()

    def err(self):
        with self.cond:
            return "".join(l for l in self.lines if l is not None)

    def wait_line(self, what, match, timeout=60):
        """Waits for a stderr line, after those earlier waits looked at, for
        which match(line) is true; returns that value."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                while self.seen < len(self.lines):
                    line = self.lines[self.seen]
                    self.seen += 1
                    if line is None:
                        self.seen -= 1
                        raise TestFailure(f"{what}: the producer exited first (status "
                                          f"{self.proc.wait()}); stderr: {self.err()[-1500:]}")
                    got = match(line)
                    if got:
                        return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure(f"{what}: not reported within {timeout} s; stderr: "
                                      f"{self.err()[-1500:]}")
                self.cond.wait(left)

    def wait_progress(self, what, cond, timeout=60):
        """Waits for a progress line (the producer needs --progress) whose
        counts, a dict of sent, delivered, in_flight and failed, satisfy
        cond; returns the counts."""
        def match(line):
            m = PROGRESS.search(line)
            if not m:
                return None
            c = dict(zip(("sent", "delivered", "in_flight", "failed"), map(int, m.groups())))
            return c if cond(c) else None
        return self.wait_line(what, match, timeout)

    def signal(self, signum):
        self.proc.send_signal(signum)

    def finish(self, timeout=60):
        """Waits for the producer to exit: a Run (elapsed is not measured)."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise TestFailure(f"producer {' '.join(self.args)} still running after {timeout} s; "
                              f"stderr: {self.err()[-2000:]}")
        for t in self.readers:
            t.join()
        return Run(self.proc.returncode, "".join(self.out), self.err(), None)


def summary_elapsed(err):
    """The seconds the producer's summary line reports ("elapsed N s"): its
    own clock from the first message to the end of the run, which leaves out
    starting the process and the sanitizers' checks at exit."""
    m = re.search(r"elapsed ([0-9.]+) s", err)
    require("the summary line reports the run's elapsed time", m is not None, "elapsed N s",
            err[-300:])
    return float(m.group(1))


def consume(bootstrap, topic, timeout=60):
    """All messages of a topic, via kcat's JSON envelope: dicts with partition,
    offset, ts, key, payload and headers (as a dict)."""
    args = ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-J",
            "-X", "fetch.wait.max.ms=10"]
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    require(f"kcat exit status (stderr: {p.stderr.strip()[-500:]})", p.returncode == 0, 0,
          p.returncode)
    msgs = []
    for line in p.stdout.splitlines():
        m = json.loads(line)
        h = m.get("headers") or []
        m["headers"] = dict(zip(h[0::2], h[1::2]))
        msgs.append(m)
    return msgs


def iris_rows():
    """The CSV rows as dicts of the original text."""
    with open(IRIS_CSV, newline="") as f:
        return list(csv.DictReader(f))


def expected_json(row, species=None):
    """The exact JSON text the producer must send for a CSV row."""
    return ('{"sepalLength":%s,"sepalWidth":%s,"petalLength":%s,"petalWidth":%s,'
            '"species":%s}' % (row["sepal_length"], row["sepal_width"], row["petal_length"],
                               row["petal_width"], json.dumps(species or row["species"])))


def seqs(msgs):
    """The seq header of each message, as ints."""
    return [int(m["headers"]["seq"]) for m in msgs]


def check_exactly_once(msgs, n):
    """Every seq 0..n-1 exactly once, and in order within each partition."""
    s = seqs(msgs)
    missing = sorted(set(range(n)) - set(s))
    require(f"messages lost ({len(missing)} missing, first {missing[:5]})", not missing, [], [])
    dup = len(s) - len(set(s))
    require("duplicate messages", dup == 0, 0, dup)
    require("message count", len(s) == n, n, len(s))
    by_part = {}
    for m in sorted(msgs, key=lambda m: (m["partition"], m["offset"])):
        by_part.setdefault(m["partition"], []).append(int(m["headers"]["seq"]))
    for part, ss in by_part.items():
        require(f"partition {part} holds the records in production order", ss == sorted(ss))


def cloud_secrets(n, seed=None):
    """n random 64-character secrets over the alphabet of Confluent Cloud API
    secrets (base64: letters, digits, '+' and '/'), each holding both '+' and
    '/', from a printed seed so a failure can be repeated."""
    seed = seed if seed is not None else random.randrange(1 << 32)
    print(f"  secrets drawn with seed {seed}")
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + "+/"
    out = []
    while len(out) < n:
        s = "".join(rng.choice(alphabet) for _ in range(64))
        if "+" in s and "/" in s:
            out.append(s)
    return out

