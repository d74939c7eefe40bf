#!/usr/bin/python3
"""Shared alert state end to end: three real bootstraps (BOOTSTRAP), each
under its own Runtime API emulator as three classic Lambda environments of
one function, with ALERT_STATE_TABLE on dynalite (tests/lib/dynalite.py,
the npm package in tests/node) and alerts to the local SNS; batches of 20
from model/iris.csv dealt round-robin, as the connector's tasks deal
partitions (the records of tests/integration/monitor_e2e.py).

- a clean stream: no alert, and at most one DynamoDB request per 50 batches
  per environment (the EMF metric AlertStateRequests);
- labels going wrong: exactly one accuracy-drop alert fleet-wide, none while
  the drift lasts, one recovery notice once the stream is clean again; the
  item's phase is 2 afterwards (one episode opened and closed).  Should a
  store request fail all the same (dynalite slower than the client's
  per-attempt timeout on every attempt), the environment decides alone and
  may publish its own (lambda/ALERTS.md, "Failure"): at most one more of
  each per such environment, shown by its AlertStateFallbacks and printed;
- DynamoDB unreachable: every environment still publishes its alert, logs
  the fallback at WARN and counts it in AlertStateFallbacks;
- a bad ALERT_STATE_TABLE is an init error naming the variable.

  BOOTSTRAP=build/asan/bootstrap /usr/bin/python3 tests/integration/fleet_dynamodb_test.py
"""
import csv
import json
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
import sns_testlib as lib  # noqa: E402
from dynalite import Dynalite, Unreachable  # noqa: E402
from rapi_harness import ROOT, Function, run_unittests  # noqa: E402

BOOTSTRAP = os.path.abspath(os.environ.get("BOOTSTRAP", os.path.join(ROOT, "build", "bootstrap")))
TABLE = "iris-alert-state"
SNS = None
DB = None


with open(os.path.join(ROOT, "model", "iris.csv"), newline="") as f:
    ROWS = list(csv.DictReader(f))
CLASSES = ["setosa", "versicolor", "virginica"]


def record(i, offset, wrong_every=0):
    """Row i of the data set (well mixed) as a connector record; with
    wrong_every = n, every n-th label is another class."""
    r = ROWS[(i * 37) % len(ROWS)]
    k = CLASSES.index(r["species"])
    wrong = wrong_every and i % wrong_every == 0
    value = {"sepalLength": float(r["sepal_length"]), "sepalWidth": float(r["sepal_width"]),
             "petalLength": float(r["petal_length"]), "petalWidth": float(r["petal_width"]),
             "species": CLASSES[(k + 1) % 3] if wrong else r["species"]}
    return {"payload": {"timestamp": 1700000000000 + offset, "topic": "iris",
                        "partition": offset // 20 % 6, "offset": offset, "key": None,
                        "value": value}}


def fleet_env(endpoint, **extra):
    env = {"ALERT_MODE": "sequential", "SNS_TOPIC_ARN": lib.TOPIC_ARN,
           "AWS_REGION": lib.REGION, "AWS_ENDPOINT_URL_SNS": SNS.url,
           "AWS_ENDPOINT_URL_DYNAMODB": endpoint, "ALERT_STATE_TABLE": TABLE,
           "AWS_ACCESS_KEY_ID": lib.KEY_ID, "AWS_SECRET_ACCESS_KEY": lib.SECRET,
           "AWS_LAMBDA_LOG_LEVEL": "WARN", "AWS_ENDPOINT_URL": ""}
    env.update(extra)
    return env


def expected_alerts(fallbacks):
    """The most alerts of one kind a fleet may publish for one episode: one
    shared, and one more for each environment that decided alone after its
    store failed (lambda/ALERTS.md, "Failure"); never more than one each."""
    fell_back = sum(1 for f in fallbacks if f)
    return min(len(fallbacks), 1 + fell_back)


def published(kind=None):
    return [p for p in SNS.published()
            if kind is None or p["messageAttributes"]["kind"]["StringValue"] == kind]


class Fleet:
    """k environments of one function, fed batches round-robin."""

    def __init__(self, name, k, endpoint):
        self.fns = [Function(BOOTSTRAP, env=fleet_env(endpoint),
                             emulator_args=("--function-name", name)) for _ in range(k)]
        self.offset, self.turn = 0, 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for fn in self.fns:
            fn.close()

    def send(self, batches, size=20, **kind):
        for _ in range(batches):
            fn = self.fns[self.turn % len(self.fns)]
            self.turn += 1
            recs = [record(self.offset + j, self.offset + j, **kind) for j in range(size)]
            ferr, out = fn.invoke(recs)
            if ferr is not None:
                raise AssertionError(f"invocation failed: {ferr} {out}")
            self.offset += size

    def metric(self, name):
        """Per environment: the sum of an EMF metric over its batches."""
        return [sum(l.get(name, 0) for l in fn.log_lines() if "_aws" in l) for fn in self.fns]


class SharedState(unittest.TestCase):
    def setUp(self):
        SNS.reset()

    def test_one_alert_and_one_recovery_per_episode_across_three_environments(self):
        with Fleet("iris-fleet-episode", 3, DB.url) as fleet:
            fleet.send(150)  # 50 clean batches per environment
            self.assertEqual(published(), [], "a clean stream raised an alert")
            requests = fleet.metric("AlertStateRequests")
            self.assertTrue(all(r <= 1 for r in requests),
                            f"expected at most 1 DynamoDB request per 50 clean batches per "
                            f"environment, got {requests}")
            change = fleet.offset
            while not published("accuracy-drop") and fleet.offset < change + 400:
                fleet.send(1, wrong_every=2)
            delay = fleet.offset - change
            self.assertGreaterEqual(len(published("accuracy-drop")), 1,
                                    f"expected an alert within 400 records, got {published()}")
            fleet.send(15, wrong_every=2)
            fleet.send(60)
            fallbacks = fleet.metric("AlertStateFallbacks")
            # One alert and one recovery notice fleet-wide.  An environment
            # whose store request failed (a reply later than the client's
            # per-attempt timeout, on every attempt) decides alone for 30 s and
            # may publish its own, as lambda/ALERTS.md ("Failure") documents:
            # visible as its AlertStateFallbacks and a WARN line, and never
            # more than one per environment.
            most = expected_alerts(fallbacks)
            self.assertTrue(1 <= len(published("accuracy-drop")) <= most,
                            f"expected {most} accuracy-drop alert(s) fleet-wide "
                            f"(fallbacks per environment {fallbacks}), got {published()}")
            self.assertTrue(1 <= len(published("accuracy-recovered")) <= most,
                            f"expected {most} recovery notice(s) fleet-wide (fallbacks per "
                            f"environment {fallbacks}), got {published()}")
            self.assertEqual(len(published()), len(published("accuracy-drop")) +
                             len(published("accuracy-recovered")), f"got {published()}")
        # One environment seeing the same records, without a table.
        SNS.reset()
        with Fleet("iris-fleet-alone", 1, DB.url) as alone:
            for fn in alone.fns:
                fn.close()
            alone.fns = [Function(BOOTSTRAP, env=fleet_env(DB.url, ALERT_STATE_TABLE=""),
                                  emulator_args=("--function-name", "iris-fleet-alone"))]
            alone.send(150)
            while not published("accuracy-drop") and alone.offset < change + 400:
                alone.send(1, wrong_every=2)
            one = alone.offset - change
        print(f"accuracy-drop alert {delay} records after the change for 3 environments "
              f"(counted over all), {one} for one environment seeing the whole stream; "
              f"store fallbacks per environment {fallbacks}")
        item = DB.item(TABLE, "iris-fleet-episode#accuracy")
        self.assertIn("expires", item)
        if any(fallbacks):
            # An environment deciding alone keeps its evidence out of the
            # fleet's sum (so the fleet may be slower), and shares its episode
            # once back: the episode is closed, whichever phase it reached.
            print(f"NOTE: DynamoDB (dynalite) failed some requests {fallbacks}: the fleet's "
                  "delay and the item's phase are not checked")
            self.assertEqual(int(item["phase"]["N"]) % 2, 0, f"expected the episode closed: {item}")
            return
        self.assertLessEqual(delay, 1.5 * one)
        self.assertEqual(item["phase"], {"N": "2"}, f"expected one episode opened and closed: {item}")

    def test_managed_instances_three_workers_one_alert_and_one_recovery(self):
        # One environment running 3 invocations at once (AWS_LAMBDA_MAX_CONCURRENCY=3):
        # its workers share one monitor and one fleet state.
        env = fleet_env(DB.url, AWS_LAMBDA_MAX_CONCURRENCY="3")
        with Function(BOOTSTRAP, env=env, emulator_args=("--function-name", "iris-fleet-mi")) as fn:
            offset = [0]
            lock = threading.Lock()

            def invoke_one(**kind):
                with lock:
                    start = offset[0]
                    offset[0] += 20
                recs = [record(start + j, start + j, **kind) for j in range(20)]
                body = json.dumps(recs).encode()
                # No idle worker (one between its answer and its next GET
                # /next): the emulator answers 400, as Lambda does; try again.
                # The deadline only detects a hang.
                deadline = time.monotonic() + 30
                while True:
                    status, hdrs, out = fn.request(
                        "POST", "/2015-03-31/functions/function/invocations", body)
                    if status == 200:
                        assert hdrs.get("X-Amz-Function-Error") is None, out
                        return
                    if time.monotonic() > deadline:
                        raise AssertionError(f"no worker took the invocation in 30 s: {status} "
                                             f"{out[:200]}")
                    time.sleep(0.01)

            def burst(n, **kind):
                threads = [threading.Thread(target=lambda: [invoke_one(**kind) for _ in range(n)])
                           for _ in range(3)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()

            burst(30)
            self.assertEqual(published(), [], "a clean stream raised an alert")
            burst(5, wrong_every=2)
            self.assertEqual(len(published("accuracy-drop")), 1, f"got {published()}")
            burst(20)
            self.assertEqual(len(published("accuracy-recovered")), 1, f"got {published()}")
            self.assertEqual(len(published()), 2)
            fallbacks = sum(l.get("AlertStateFallbacks", 0) for l in fn.log_lines() if "_aws" in l)
        item = DB.item(TABLE, "iris-fleet-mi#accuracy")
        if fallbacks:
            print(f"NOTE: DynamoDB (dynalite) failed {fallbacks} request(s): the item's phase "
                  "is not checked")
            self.assertEqual(int(item["phase"]["N"]) % 2, 0, f"expected the episode closed: {item}")
        else:
            self.assertEqual(item["phase"], {"N": "2"}, item)

    def test_dynamodb_down_every_environment_alerts_on_its_own(self):
        with Unreachable() as down, Fleet("iris-fleet-down", 3, down.url) as fleet:
            fleet.send(6, wrong_every=2)
            drops = published("accuracy-drop")
            fallbacks = fleet.metric("AlertStateFallbacks")
            warns = [l for fn in fleet.fns for l in fn.log_lines()
                     if l.get("level") == "WARN" and "alert state store unavailable" in l.get("message", "")]
            output = "".join(fn.output() for fn in fleet.fns)
        self.assertEqual(len(drops), 3, f"expected each of 3 environments to alert, got {len(drops)}")
        self.assertTrue(all(f >= 1 for f in fallbacks), f"fallbacks per environment: {fallbacks}")
        self.assertGreaterEqual(len(warns), 3)
        self.assertEqual(lib.find_leaks(output), [])

    def test_bad_table_name_is_an_init_error_naming_the_variable(self):
        for extra in ({"ALERT_STATE_TABLE": "no spaces"}, {"AWS_REGION": ""}):
            with self.subTest(**extra):
                with Function(BOOTSTRAP, env=fleet_env(DB.url, **extra)) as fn:
                    st = fn.wait_for(lambda s: s["exitCode"] is not None, what="runtime exit")
                self.assertEqual(len(st["initErrors"]), 1, st)
                err = st["initErrors"][0]
                self.assertEqual(err["errorType"], "Runtime.InvalidConfiguration")
                msg = json.loads(err["body"])["errorMessage"]
                self.assertIn(next(iter(extra)), msg)


def main():
    global SNS, DB
    SNS = lib.LocalSns()
    try:
        DB = Dynalite()
        DB.create_table(TABLE)
        run_unittests(globals())
    finally:
        if DB is not None:
            DB.stop()
        SNS.stop()


if __name__ == "__main__":
    main()
