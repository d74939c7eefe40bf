#!/usr/bin/python3
"""End to end for the sequential alert policy (ALERT_MODE=sequential, the
template's default): the real bootstrap (BOOTSTRAP) under the Runtime API
emulator, publishing to the local SNS, fed connector batches built here from
model/iris.csv.

- a clean stream raises nothing; labels going wrong raise exactly one
  accuracy-drop alert within 2 batches of 20, none while the drift lasts, and
  one recovery notice once the stream is clean again;
- a new process (a restart) on a clean stream raises nothing;
- unlabelled records whose petal length reads 1 cm more raise one input-drift
  alert within 5 batches of 20, naming petalLength as the feature that moved;
- at batch size 1 a drop to about 50% alerts within 40 records;
- bad ALERT_FALSE_ALARM_RATE / ALERT_MIN_DROP / ALERT_EXPECTED_ACCURACY are
  init errors naming the variable.

  BOOTSTRAP=build/asan/bootstrap /usr/bin/python3 tests/integration/monitor_e2e.py
"""
import csv
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
import sns_testlib as lib  # noqa: E402
from rapi_harness import ROOT, Function  # noqa: E402

BOOTSTRAP = os.path.abspath(os.environ.get("BOOTSTRAP", os.path.join(ROOT, "build", "bootstrap")))
SNS = None


def alert_env(**extra):
    env = {"ALERT_MODE": "sequential", "SNS_TOPIC_ARN": lib.TOPIC_ARN,
           "AWS_REGION": lib.REGION, "AWS_ENDPOINT_URL_SNS": SNS.url,
           "AWS_ACCESS_KEY_ID": lib.KEY_ID, "AWS_SECRET_ACCESS_KEY": lib.SECRET,
           "AWS_LAMBDA_LOG_LEVEL": "WARN"}
    env.update(extra)
    return env


class Stream:
    """Sends batches of consecutive offsets; returns how many alerts arrived."""

    def __init__(self, fn, offset=0):
        self.fn, self.offset = fn, offset

    def send(self, batches, size, **kind):
        for _ in range(batches):
            recs = [lib.iris_record(self.offset + j, **kind) for j in range(size)]
            ferr, out = self.fn.invoke(recs)
            if ferr is not None:
                raise AssertionError(f"invocation failed: {ferr} {out}")
            self.offset += size


def published(kind=None):
    pubs = SNS.published()
    return [p for p in pubs
            if kind is None or p["messageAttributes"]["kind"]["StringValue"] == kind]


class Sequential(unittest.TestCase):
    def setUp(self):
        SNS.reset()

    def test_one_alert_per_accuracy_episode_then_a_recovery_notice(self):
        with Function(BOOTSTRAP, env=alert_env()) as fn:
            s = Stream(fn)
            s.send(30, 20)
            self.assertEqual(published(), [], "a clean stream raised an alert")
            change = s.offset
            # Every other label wrong: about 50% accuracy.
            for b in range(2):
                recs = [lib.iris_record(s.offset + j, wrong=j % 2 == 0) for j in range(20)]
                fn.invoke(recs)
                s.offset += 20
            drops = published("accuracy-drop")
            self.assertEqual(len(drops), 1, "expected one alert within 2 batches of 20")
            s.send(5, 20, wrong=True)
            self.assertEqual(len(published("accuracy-drop")), 1, "a second alert in one episode")
            s.send(20, 20)
            rec = published("accuracy-recovered")
            self.assertEqual(len(rec), 1, "expected a recovery notice after 400 clean records")
        m = json.loads(drops[0]["message"])
        self.assertEqual(m["kind"], "accuracy-drop")
        self.assertEqual(drops[0]["messageAttributes"]["severity"]["StringValue"], "critical")
        self.assertTrue(change - 20 <= m["since"]["offset"] <= change + 20,
                        f"the change began at offset {change}, alert says {m['since']}")
        self.assertGreaterEqual(m["evidence"]["logLikelihoodRatio"], m["test"]["threshold"])
        self.assertLess(m["evidence"]["binomialPValue"], 1e-6)
        self.assertEqual(m["test"]["name"], "accuracy")
        self.assertGreater(sum(c["count"] for c in m["confusionSinceChange"]), 0)
        self.assertTrue(drops[0]["subject"].startswith("iris accuracy drop: "), drops[0]["subject"])
        r = json.loads(rec[0]["message"])
        self.assertEqual(r["alertAt"]["offset"], m["decidedAt"]["offset"])
        self.assertGreater(r["since"]["offset"], m["decidedAt"]["offset"])
        self.assertLessEqual(r["rate"], 0.05)  # the clean stretch that ended the episode

    def test_a_restart_on_a_clean_stream_raises_nothing(self):
        with Function(BOOTSTRAP, env=alert_env()) as fn:
            s = Stream(fn)
            s.send(3, 20, wrong=True)
        self.assertEqual(len(published("accuracy-drop")), 1)
        SNS.reset()
        with Function(BOOTSTRAP, env=alert_env()) as fn:  # a new process
            Stream(fn, offset=60).send(50, 20)
        self.assertEqual(published(), [])

    def test_unlabelled_input_shift_raises_input_drift_naming_the_feature(self):
        with Function(BOOTSTRAP, env=alert_env()) as fn:
            s = Stream(fn)
            s.send(20, 20, labelled=False)
            self.assertEqual(published(), [], "clean unlabelled records raised an alert")
            for b in range(5):
                s.send(1, 20, labelled=False, petal_shift=1.0)
                if published():
                    break
            drift = published("input-drift")
        self.assertEqual(len(drift), 1, "expected an input-drift alert within 5 batches of 20")
        self.assertEqual(len(published()), 1)
        m = json.loads(drift[0]["message"])
        self.assertEqual(m["featuresThatMovedMost"][0]["feature"], "petalLength")
        self.assertGreater(m["featuresThatMovedMost"][0]["shiftInSd"], 0.3)
        self.assertGreater(m["atypicalTotal"], 0)
        self.assertNotIn("accuracy", drift[0]["messageAttributes"])  # nothing labelled

    def test_batch_size_one_alerts_within_40_records(self):
        with Function(BOOTSTRAP, env=alert_env()) as fn:
            s = Stream(fn)
            s.send(100, 1)
            self.assertEqual(published(), [])
            n = 0
            while not published() and n < 40:
                s.send(1, 1, wrong=n % 2 == 0)
                n += 1
        self.assertEqual(len(published("accuracy-drop")), 1, f"no alert after {n} records")

    def init_error(self, **env):
        with Function(BOOTSTRAP, env=alert_env(**env)) as fn:
            st = fn.wait_for(lambda s: s["exitCode"] is not None, what="runtime exit")
        self.assertEqual(len(st["initErrors"]), 1, st)
        err = st["initErrors"][0]
        self.assertEqual(err["errorType"], "Runtime.InvalidConfiguration")
        return json.loads(err["body"])["errorMessage"]

    def test_bad_settings_are_init_errors_naming_the_variable(self):
        for name, value in (("ALERT_FALSE_ALARM_RATE", "often"), ("ALERT_MIN_DROP", "2"),
                            ("ALERT_EXPECTED_ACCURACY", "98%")):
            with self.subTest(name=name):
                msg = self.init_error(**{name: value})
                self.assertIn(f'{name}="{value}"', msg)


if __name__ == "__main__":
    SNS = lib.LocalSns()
    try:
        rc = lib.run("monitor-e2e", Sequential)
    finally:
        SNS.stop()
    sys.exit(rc)
