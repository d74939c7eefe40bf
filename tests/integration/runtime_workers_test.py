#!/usr/bin/env python3
"""The runtime's two modes, driven through the Runtime API emulator: the
classic single loop (AWS_LAMBDA_MAX_CONCURRENCY unset) and Lambda Managed
Instances' workers (AWS_LAMBDA_MAX_CONCURRENCY=N, the emulator then in its
Managed Instances mode).  The function is a small thread-safe handler
(WORKERS_HANDLER, tests/integration/concurrent_handler.c) or, with
WORKERS_BOOTSTRAP, a bootstrap answering events/ batches.  WORKERS_STRESS=1
runs the long mix (thousands of invocations); without it a shorter one.
Under ThreadSanitizer a race ends the runtime (halt_on_error) and every test
checks the output for a report."""
import json
import os
import signal
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
import sns_testlib  # noqa: E402
from rapi_harness import ROOT, Function, event, run_unittests  # noqa: E402

HANDLER = os.path.abspath(os.environ.get(
    "WORKERS_HANDLER", os.path.join(ROOT, "build", "asan", "concurrent-handler")))
STRESS = os.environ.get("WORKERS_STRESS") == "1"
# The real bootstrap instead of the test handler (the BootstrapWorkers case only).
BOOTSTRAP = os.environ.get("WORKERS_BOOTSTRAP")
INVOKE = "/2015-03-31/functions/function/invocations"
# A handler that must still be running when the test acts on it (SIGTERM, a
# fault, one invoke too many): long enough that a loaded machine's delay in
# delivering the others cannot end it first.
SLOW_MS = 3000
# How long the emulator holds each acknowledgement in the poll-again test.
ACK_HELD_S = 20


def tasks(pid):
    """Threads of a process (/proc/PID/task)."""
    return len(os.listdir("/proc/%d/task" % pid))


def under_tsan():
    return "TSAN_OPTIONS" in os.environ


def refused(status, headers):
    """Whether an invoke was refused as Lambda refuses one beyond N in flight."""
    return status == 400 and headers.get("Error-Type") == "Runtime.Unavailable"


class Call:
    """One invoke and its outcome."""

    def __init__(self, kind="ok", sleep_ms=0, classic=False):
        self.tag = uuid.uuid4().hex[:12]
        self.kind = kind
        self.classic = classic  # the single loop exports the trace id
        self.trace = "Root=1-%08x-%s;Parent=%s;Sampled=0" % (
            int(time.time()), uuid.uuid4().hex[:24], uuid.uuid4().hex[:16])
        self.event = json.dumps({"id": self.tag, "kind": kind, "sleepMs": sleep_ms}).encode()
        self.status = self.headers = self.body = None

    def run(self, fn, timeout=60):
        self.status, self.headers, self.body = fn.request(
            "POST", INVOKE, self.event, {"X-Amzn-Trace-Id": self.trace}, timeout)
        return self

    @property
    def refused(self):
        return refused(self.status, self.headers)

    def label(self, i):
        return "%s %s" % (self.kind, self.tag)

    def problem(self):
        """Why the answer is not this call's own (None when it is)."""
        if self.status != 200:
            return "status %s: %r" % (self.status, self.body[:200])
        out = json.loads(self.body)
        ferr = self.headers.get("X-Amz-Function-Error")
        if self.kind == "ok":
            want = {"id": self.tag, "requestId": self.headers.get("X-Amzn-RequestId"),
                    "traceId": self.trace, "envTraceId": self.trace if self.classic else None}
            return None if ferr is None and out == want else "expected %s, got %s" % (want, out)
        if self.kind == "fail":
            want = {"errorType": "InvalidEvent", "stackTrace": [],
                    "errorMessage": "event %s is not a batch" % self.tag}
            return None if ferr == "Unhandled" and out == want else "expected %s, got %s" % (
                want, out)
        if out.get("errorType") != "Function.ResponseSizeTooLarge":
            return "expected Function.ResponseSizeTooLarge, got %s" % out
        return None


def drive(fn, total, clients, make_call):
    """Makes total invocations from clients threads at once, each call
    make_call(i) (an object with run(fn), refused and problem()), sent again
    while the runtime refuses it (a worker between its /response and its next
    /next).  Returns (the problems, each "LABEL: why", the calls refused and
    sent again, the seconds it took)."""
    lock = threading.Lock()
    counter = iter(range(total))
    problems, retried = [], [0]

    def client():
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            c = make_call(i)
            while c.run(fn).refused:
                with lock:
                    retried[0] += 1
                time.sleep(0.005)
            p = c.problem()
            if p:
                with lock:
                    problems.append("%s: %s" % (c.label(i), p))

    t0 = time.time()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return problems, retried[0], time.time() - t0


def run_all(fn, calls, timeout=60):
    threads = [threading.Thread(target=c.run, args=(fn, timeout)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return calls


class WorkersCase(unittest.TestCase):
    def start(self, n=None, env=None, args=()):
        e = dict(env or {})
        if n is not None:
            e["AWS_LAMBDA_MAX_CONCURRENCY"] = str(n)
        fn = Function(HANDLER, env=e, emulator_args=list(args))
        self.addCleanup(self.check_clean, fn)
        self.addCleanup(fn.close)
        return fn

    def check_clean(self, fn):
        out = fn.output()
        self.assertNotIn("ThreadSanitizer", out, out[-4000:])
        self.assertNotIn("AddressSanitizer", out, out[-4000:])

    def wait_idle(self, fn, n, what="idle workers"):
        return fn.wait_for(lambda s: s["idle"] == n, what="%d %s" % (n, what))


@unittest.skipIf(BOOTSTRAP, "WORKERS_BOOTSTRAP: the bootstrap case only")
class ClassicMode(WorkersCase):
    def test_unset_serves_on_one_thread_and_exports_the_trace_id(self):
        fn = self.start()
        c = Call().run(fn)
        st = fn.state()
        out = json.loads(c.body)
        self.assertEqual((out["id"], out["traceId"]), (c.tag, c.trace))
        # AWS's custom-runtime guide: the trace id in _X_AMZN_TRACE_ID, per invocation.
        self.assertEqual(out["envTraceId"], c.trace)
        if not under_tsan():  # ThreadSanitizer runs a thread of its own
            self.assertEqual(tasks(st["pid"]), 1, "classic mode starts no thread")
        self.assertIsNone(st["maxConcurrency"])

    def test_one_is_the_classic_loop(self):
        fn = self.start(1)
        c = Call().run(fn)
        out = json.loads(c.body)
        self.assertEqual((out["id"], out["envTraceId"]), (c.tag, c.trace))
        if not under_tsan():
            self.assertEqual(tasks(fn.state()["pid"]), 1)

    def test_invalid_concurrency_is_an_init_error_naming_the_value(self):
        for value in ("abc", "0", "-2", "8 ", "1601", "99999999999999999999", "0x10", "2.5"):
            with self.subTest(value=value):
                fn = self.start(env={"AWS_LAMBDA_MAX_CONCURRENCY": value})
                st = fn.wait_for(lambda s: s["exitCode"] is not None, what="exit")
                self.assertEqual(st["exitCode"], 1)
                self.assertEqual(len(st["initErrors"]), 1, st["initErrors"])
                err = st["initErrors"][0]
                self.assertEqual(err["errorType"], "Runtime.InvalidConfiguration")
                msg = json.loads(err["body"])["errorMessage"]
                self.assertIn('AWS_LAMBDA_MAX_CONCURRENCY="%s"' % value[:40], msg)
                self.assertIn("from 1 to 1600", msg)
                self.assertEqual(st["nextCount"], 0)

    def test_sixty_four_workers_all_poll(self):
        fn = self.start(64)
        self.wait_idle(fn, 64)
        for c in run_all(fn, [Call(sleep_ms=100) for _ in range(64)]):
            self.assertIsNone(c.problem())
        self.assertEqual(fn.state()["refused"], 0)


@unittest.skipIf(BOOTSTRAP, "WORKERS_BOOTSTRAP: the bootstrap case only")
class EarlyAnswer(WorkersCase):
    """A Runtime API that answers 413 while the response is still being sent,
    then closes (Go's net/http does so for a body it left unread)."""

    def test_early_413_is_logged_and_the_next_invocation_served(self):
        fn = self.start(args=["--early-413", "--max-response-bytes", "20000"])
        for kind in ("big", "sized", "big"):
            with self.subTest(kind=kind):
                c = Call(kind, classic=True).run(fn)
                self.assertIsNone(c.problem(), c.body)
                ok = Call(classic=True).run(fn)
                self.assertIsNone(ok.problem())
        st = fn.state()
        self.assertEqual(st["earlyAnswers"], 3)
        self.assertTrue(st["alive"], fn.output()[-3000:])
        self.assertEqual(fn.output().count("refused the response"), 3, fn.output()[-3000:])
        self.assertEqual(st["violations"], [])


@unittest.skipIf(BOOTSTRAP, "WORKERS_BOOTSTRAP: the bootstrap case only")
class ManagedInstances(WorkersCase):
    def test_n_workers_poll_at_once_on_n_threads(self):
        fn = self.start(8)
        st = self.wait_idle(fn, 8)
        if not under_tsan():
            self.assertEqual(tasks(st["pid"]), 9, "the main thread and 8 workers")
        calls = run_all(fn, [Call(sleep_ms=400) for _ in range(8)])
        for c in calls:
            self.assertIsNone(c.problem())
        # Served side by side: every worker was busy at once.
        st = fn.state()
        self.assertEqual(st["refused"], 0)
        self.assertEqual(st["violations"], [])
        self.assertLessEqual(st["maxIdle"], 8)

    def test_every_round_of_n_is_answered_none_refused(self):
        for n in (2, 8):
            with self.subTest(n=n):
                fn = self.start(n)
                for _ in range(10):
                    self.wait_idle(fn, n)
                    for c in run_all(fn, [Call(sleep_ms=20) for _ in range(n)]):
                        self.assertIsNone(c.problem())
                st = fn.state()
                self.assertEqual((st["refused"], st["violations"]), (0, []))

    def test_workers_poll_again_before_their_answers_are_acknowledged(self):
        # Lambda acknowledges a runtime's answer only once its invoker has it
        # (the emulator likewise), so an invoke sent the moment an answer
        # arrives finds a worker idle only if it polled again before the
        # acknowledgement.  The emulator holds each acknowledgement ACK_HELD_S
        # longer: every worker must be polling again well within that time.
        # (Sending the next round at once instead would race the emulator's
        # thread registering the GET /next the runtime already sent, and fail
        # on a loaded machine for no fault of the runtime's.)
        for n in (2, 8):
            with self.subTest(n=n):
                fn = self.start(n, args=["--ack-delay-ms", str(ACK_HELD_S * 1000)])
                self.wait_idle(fn, n)
                for c in run_all(fn, [Call(sleep_ms=20) for _ in range(n)]):
                    self.assertIsNone(c.problem())
                t0 = time.monotonic()
                fn.wait_for(lambda s: s["idle"] == n, timeout=ACK_HELD_S / 2,
                            what="%d workers polling while their answers' acknowledgements "
                                 "are held %d s" % (n, ACK_HELD_S))
                print("N=%d: every worker polling again %.3f s after the answers, "
                      "acknowledgements held %d s" % (n, time.monotonic() - t0, ACK_HELD_S))
                st = fn.state()
                self.assertEqual((st["refused"], st["violations"]), (0, []))

    def test_an_invoke_beyond_n_is_refused_as_lambda_refuses_it(self):
        fn = self.start(2)
        self.wait_idle(fn, 2)
        busy = [Call(sleep_ms=SLOW_MS) for _ in range(2)]
        threads = [threading.Thread(target=c.run, args=(fn,)) for c in busy]
        for t in threads:
            t.start()
        # The third invoke is sent once both workers hold theirs.
        fn.wait_for(lambda s: s["inFlight"] == 2 and s["idle"] == 0, what="2 workers busy")
        third = Call().run(fn)
        for t in threads:
            t.join()
        self.assertTrue(third.refused, (third.status, third.headers, third.body))
        self.assertEqual(json.loads(third.body), {"errorType": "Runtime.Unavailable"})
        for c in busy:
            self.assertIsNone(c.problem())
        self.assertEqual(fn.state()["refused"], 1)

    def test_trace_ids_travel_in_the_request_and_never_in_the_environment(self):
        fn = self.start(4)
        self.wait_idle(fn, 4)
        for c in run_all(fn, [Call(sleep_ms=50) for _ in range(4)]):
            self.assertIsNone(c.problem())  # traceId is the call's own, envTraceId null

    def test_sigterm_stops_polling_and_lets_in_flight_invocations_finish(self):
        fn = self.start(4)
        self.wait_idle(fn, 4)
        calls = [Call(sleep_ms=SLOW_MS) for _ in range(3)]
        threads = [threading.Thread(target=c.run, args=(fn,)) for c in calls]
        for t in threads:
            t.start()
        st = fn.wait_for(lambda s: s["inFlight"] == 3, what="3 invocations in flight")
        t0 = time.monotonic()
        os.kill(st["pid"], signal.SIGTERM)
        for t in threads:
            t.join()
        st = fn.wait_for(lambda s: s["exitCode"] is not None, what="exit")
        for c in calls:
            self.assertIsNone(c.problem())  # each in-flight invocation answered, its own
        self.assertEqual(st["exitCode"], 0, fn.output()[-3000:])
        # The drain is at most the handlers' SLOW_MS; the bound only detects
        # a hang (TSan on 2 loaded cores is many times slower).
        self.assertLess(time.monotonic() - t0, SLOW_MS / 1000 + 15)
        self.assertEqual(st["idle"], 0, "every worker stopped polling")

    def test_a_fatal_error_in_one_worker_drains_the_others(self):
        fn = self.start(4)
        self.wait_idle(fn, 4)
        slow = [Call(sleep_ms=SLOW_MS) for _ in range(2)]
        threads = [threading.Thread(target=c.run, args=(fn,)) for c in slow]
        for t in threads:
            t.start()
        fn.wait_for(lambda s: s["inFlight"] == 2, what="2 invocations in flight")
        fn.fault("next", 500)  # the next GET /next: Lambda's "non-recoverable state"
        quick = Call().run(fn)  # its worker polls again and meets the 500
        for t in threads:
            t.join()
        st = fn.wait_for(lambda s: s["exitCode"] is not None, what="exit")
        self.assertIsNone(quick.problem())
        for c in slow:
            self.assertIsNone(c.problem(), "an invocation in flight is never cut")
        self.assertEqual(st["exitCode"], 1)
        self.assertIn("answered 500 to GET /invocation/next", fn.output())

    def test_thousands_of_mixed_invocations_each_answered_with_its_own(self):
        n = 8
        total = 2400 if STRESS else 400
        fn = self.start(n, args=["--max-response-bytes", "20000", "--timeout", "60"])
        self.wait_idle(fn, n)
        kinds = ["ok"] * 14 + ["fail"] * 4 + ["big", "sized"]
        problems, retried, elapsed = drive(fn, total, n, lambda i: Call(kinds[i % len(kinds)]))
        st = fn.state()
        self.assertEqual(problems, [])
        self.assertEqual(st["violations"], [])
        self.assertLessEqual(st["maxIdle"], n)
        self.assertTrue(st["alive"], fn.output()[-3000:])
        print("%d invocations, N=%d: %.1f s, %d refused and retried (a worker between its "
              "/response and its next /next)" % (total, n, elapsed, retried))


class Batch:
    """One invoke of the real bootstrap: a connector batch whose offsets name
    the call, an event that is not a batch, or a batch whose answer is over
    the emulator's size limit."""

    def __init__(self, i, kind, base, plan=None):
        self.kind = kind
        self.plan = plan or kind  # the plan's name for it, in problems
        self.offsets = []
        if kind == "bad":
            self.event = b'{"not": "a batch"'
            return
        items = list(base) * (3 if kind == "big" else 1)
        items = [json.loads(json.dumps(it)) for it in items]
        for j, it in enumerate(items):
            it["payload"]["offset"] = i * 1000 + j
            self.offsets.append(i * 1000 + j)
        self.event = json.dumps(items).encode()

    def run(self, fn):
        self.status, self.headers, self.body = fn.request("POST", INVOKE, self.event, None, 120)
        return self

    @property
    def refused(self):
        return refused(self.status, self.headers)

    def label(self, i):
        return "%s #%d" % (self.plan, i)

    def problem(self):
        if self.status != 200:
            return "status %s" % self.status
        out = json.loads(self.body)
        ferr = self.headers.get("X-Amz-Function-Error")
        if self.kind == "bad":
            return None if ferr and out.get("errorType") == "InvalidEvent" else "got %s" % out
        if self.kind == "big":
            return None if out.get("errorType") == "Function.ResponseSizeTooLarge" else \
                "expected Function.ResponseSizeTooLarge, got %.200s" % out
        got = [el["payload"]["offset"] for el in out] if isinstance(out, list) else out
        return None if ferr is None and got == self.offsets else \
            "expected offsets %s, got %.300s" % (self.offsets, got)


@unittest.skipUnless(BOOTSTRAP, "WORKERS_BOOTSTRAP names the bootstrap to drive")
class BootstrapWorkers(WorkersCase):
    """build/asan/bootstrap or build/tsan/bootstrap at N=8 under the emulator's
    Managed Instances mode, alerts published to the local SNS."""

    def test_eight_workers_score_mixed_batches_each_answered_with_its_own(self):
        lib = sns_testlib
        sns = lib.LocalSns()
        self.addCleanup(sns.stop)
        env = {"ALERT_MODE": "threshold", "SNS_TOPIC_ARN": lib.TOPIC_ARN,
               "AWS_REGION": lib.REGION, "AWS_ENDPOINT_URL_SNS": sns.url,
               "AWS_ACCESS_KEY_ID": lib.TEMP_KEY_ID, "AWS_SECRET_ACCESS_KEY": lib.TEMP_SECRET,
               "AWS_SESSION_TOKEN": lib.TOKEN, "AWS_LAMBDA_MAX_CONCURRENCY": "8"}
        # A 20-record answer is about 5.7 KB: 60 records go over this limit.
        fn = Function(os.path.abspath(BOOTSTRAP), env=env,
                      emulator_args=["--max-response-bytes", "12000", "--timeout", "120"])
        self.addCleanup(self.check_clean, fn)
        self.addCleanup(fn.close)
        self.wait_idle(fn, 8)
        good = json.loads(event("batch-correct.json"))
        drifted = json.loads(event("batch-drifted.json"))
        plan = ["good", "good", "drifted", "bad", "good", "big", "good", "drifted"]
        total = 1200 if STRESS else 400

        def batch(i):
            kind = plan[i % len(plan)]
            return Batch(i, "ok" if kind in ("good", "drifted") else kind,
                         drifted if kind == "drifted" else good, kind)

        problems, retried, elapsed = drive(fn, total, 8, batch)
        st = fn.state()
        self.assertEqual(problems, [])
        self.assertEqual(st["violations"], [])
        self.assertTrue(st["alive"], fn.output()[-3000:])
        pubs = sns.published()
        self.assertGreaterEqual(len(pubs), 1, "the drifted batches raise an alert")
        logs = fn.log_lines()
        self.assertEqual([l for l in logs if l.get("message") == "alert not published"], [])
        print("bootstrap, N=8: %d batches in %.1f s, %d alerts published, %d refused and "
              "retried" % (total, elapsed, len(pubs), retried))


if __name__ == "__main__":
    run_unittests(globals())
