#!/usr/bin/python3
"""End to end: the real bootstrap (BOOTSTRAP, default build/bootstrap) under
the Runtime API emulator (tests/doubles/rapi_emulator.py), publishing alerts to the
local SNS (tests/doubles/sns_local.py), all over HTTP on 127.0.0.1, with distinctive
fake credentials that must never appear in the captured output.

  BOOTSTRAP=build/asan/bootstrap /usr/bin/python3 tests/integration/sns_e2e.py
"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
import sns_testlib as lib  # noqa: E402
from rapi_harness import LOG_LEVELS, ROOT, Function, event, lambda_filter  # noqa: E402

BOOTSTRAP = os.path.abspath(os.environ.get("BOOTSTRAP", os.path.join(ROOT, "build", "bootstrap")))
SNS = None
OUTPUTS = []


def labelled_in(event_name):
    """Records with a species in an events/ file (counted here, not by the bootstrap)."""
    items = json.loads(event(event_name))
    return sum(1 for it in items if it["payload"]["value"].get("species"))


def alert_env(**extra):
    env = {"ALERT_MODE": "threshold", "SNS_TOPIC_ARN": lib.TOPIC_ARN,
           "AWS_REGION": lib.REGION, "AWS_ENDPOINT_URL_SNS": SNS.url,
           "AWS_ACCESS_KEY_ID": lib.TEMP_KEY_ID, "AWS_SECRET_ACCESS_KEY": lib.TEMP_SECRET,
           "AWS_SESSION_TOKEN": lib.TOKEN,
           "ALERT_MIN_RECORDS": "", "ALERT_ACCURACY_THRESHOLD": "", "AWS_ENDPOINT_URL": ""}
    env.update(extra)
    return env


LEVELS = LOG_LEVELS


def emf_lines(lines):
    return [l for l in lines if "_aws" in l]


class Function2(Function):
    def close(self):
        super().close()
        with open(self.log_path, "rb") as f:
            OUTPUTS.append(f.read().decode("utf-8", "replace"))


class EndToEnd(unittest.TestCase):
    def setUp(self):
        SNS.reset()

    def test_drifted_batch_yields_exactly_one_alert_with_the_right_counts(self):
        # The emulator sets AWS_LAMBDA_FUNCTION_NAME, as Lambda does.
        with Function2(BOOTSTRAP, env=alert_env(),
                       emulator_args=("--function-name", "iris-e2e")) as fn:
            ferr, out = fn.invoke(event("batch-drifted.json"))
            logs = fn.log_lines()
        self.assertIsNone(ferr, out)
        pubs = SNS.published()
        self.assertEqual(len(pubs), 1, pubs)
        m = json.loads(pubs[0]["message"])
        n = labelled_in("batch-drifted.json")
        correct = sum(1 for el in out if el["payload"].get("correct") is True)
        self.assertEqual((m["records"], m["labelled"], m["correct"]), (len(out), n, correct))
        self.assertLess(correct / n, 0.9)
        self.assertEqual(m["functionName"], "iris-e2e")
        first = out[0]["payload"]["offset"]
        last = out[-1]["payload"]["offset"]
        self.assertTrue(pubs[0]["subject"].endswith(f"on {n} records (iris/0 {first}-{last})"),
                        pubs[0]["subject"])
        self.assertIn("x-amz-security-token", pubs[0]["signedHeaders"])
        published = [l for l in logs if l.get("message") == "alert published"]
        self.assertEqual([l["messageId"] for l in published], [pubs[0]["messageId"]])

    def test_good_batch_yields_no_alert(self):
        with Function2(BOOTSTRAP, env=alert_env()) as fn:
            ferr, out = fn.invoke(event("batch-correct.json"))
        self.assertIsNone(ferr, out)
        self.assertEqual(SNS.published(), [])
        self.assertEqual(SNS.requests(), [])

    def test_every_mode_yields_one_alert_per_batch(self):
        with Function2(BOOTSTRAP, env=alert_env(ALERT_MODE="every")) as fn:
            for name in ("batch-correct.json", "batch-drifted.json", "batch-correct.json"):
                ferr, out = fn.invoke(event(name))
                self.assertIsNone(ferr, out)
        pubs = SNS.published()
        self.assertEqual(len(pubs), 3)
        self.assertEqual([p["messageAttributes"]["severity"]["StringValue"] for p in pubs],
                         ["info", "critical", "info"])

    def test_hostile_topic_names_yield_an_alert_sns_accepts(self):
        # Topics with invalid UTF-8, control characters, a line separator and
        # Kafka's longest name (249): the local SNS refuses a Subject or
        # Message that breaks the Publish API's rules, as SNS does.
        items = json.loads(event("batch-drifted.json"))
        hostile = ["ir\x1b[31mis\r\n\u2028\x7f", "T" * 240 + "\t\u00e9\U0001F600"]
        for i, it in enumerate(items):
            it["payload"]["topic"] = hostile[i % 2]
        body = json.dumps(items).encode().replace(b"ir\\u001b", b"ir\xff\xc3\\u001b")
        with Function2(BOOTSTRAP, env=alert_env(ALERT_MODE="every")) as fn:
            ferr, out = fn.invoke(body)
            raw = open(fn.log_path, "rb").read()
        self.assertIsNone(ferr, out)
        self.assertEqual(len(out), len(items))
        for line in raw.splitlines():
            if line.startswith(b"{"):
                json.loads(line.decode("utf-8"))  # strict: every log line is UTF-8 JSON
        pubs = SNS.published()
        self.assertEqual(len(pubs), 1, SNS.requests())
        subject = pubs[0]["subject"]
        self.assertTrue(0 < len(subject) < 100 and all(0x20 <= ord(c) <= 0x7e for c in subject),
                        subject)
        message = json.loads(pubs[0]["message"])
        topics = {r["topic"] for r in message["offsetRanges"]}
        self.assertEqual(topics, {"ir\ufffd\ufffd\x1b[31mis\r\n\u2028\x7f", hostile[1]})

    def test_unpublishable_alert_by_default_still_returns_the_scored_batch(self):
        # ALERT_FAILURE=log (default): the connector's default behavior.on.error=log would
        # send a failed batch to its error topic, so the results are returned instead.
        SNS.fault(code="Throttling", status=429, count=10)
        with Function2(BOOTSTRAP, env=alert_env()) as fn:
            ferr, out = fn.invoke(event("batch-drifted.json"))
            logs = fn.log_lines()
        self.assertIsNone(ferr, out)
        self.assertEqual(len(out), len(json.loads(event("batch-drifted.json"))))
        self.assertTrue(all("predictedSpecies" in el["payload"] for el in out), out[:2])
        self.assertEqual(len(SNS.requests()), 3)
        (failed,) = [l for l in logs if l.get("message") == "alert not published"]
        self.assertEqual((failed["level"], failed["errorCode"], failed["httpStatus"],
                          failed["attempts"], failed["alertFailure"]),
                         ("ERROR", "Throttling", 429, 3, "log"), failed)
        (emf,) = emf_lines(logs)
        self.assertEqual(emf["AlertPublishFailures"], 1)

    def test_unpublishable_alert_with_alert_failure_fail_fails_the_invocation(self):
        SNS.fault(code="Throttling", status=429, count=10)
        with Function2(BOOTSTRAP, env=alert_env(ALERT_FAILURE="fail")) as fn:
            ferr, out = fn.invoke(event("batch-drifted.json"))
            ferr2, out2 = fn.invoke(event("batch-correct.json"))  # still serving
            logs = fn.log_lines()
        self.assertEqual(ferr, "Unhandled")
        self.assertEqual(out["errorType"], "AlertPublishFailed")
        self.assertIn("Throttling", out["errorMessage"])
        self.assertIn("3 attempts", out["errorMessage"])
        self.assertEqual(len(SNS.requests()), 3)
        self.assertIsNone(ferr2)
        self.assertEqual([m["AlertPublishFailures"] for m in emf_lines(logs)], [1, 0])

    def test_published_alert_counts_zero_alert_publish_failures(self):
        with Function2(BOOTSTRAP, env=alert_env()) as fn:
            ferr, out = fn.invoke(event("batch-drifted.json"))
            logs = fn.log_lines()
        self.assertIsNone(ferr, out)
        self.assertEqual(len(SNS.published()), 1)
        self.assertEqual([m["AlertPublishFailures"] for m in emf_lines(logs)], [0])

    def test_bad_alert_failure_value_is_an_init_error(self):
        msg = self.init_error(ALERT_FAILURE="retry")
        self.assertIn('ALERT_FAILURE="retry"', msg)
        self.assertIn("log or fail", msg)

    def test_metrics_survive_lambda_log_level_filtering_at_every_level(self):
        # Lambda's rule (Lambda developer guide, "Log-level filtering"): with the JSON log
        # format, a line whose "level" is below the application log level is dropped, and
        # a line without a valid "level" or a valid RFC 3339 "timestamp" counts as INFO
        # (rapi_harness.lambda_filter applies all of it).
        for level in LEVELS:
            with self.subTest(level=level):
                SNS.reset()
                SNS.fault(code="InternalError", count=30)
                with Function2(BOOTSTRAP, env=alert_env(AWS_LAMBDA_LOG_LEVEL=level)) as fn:
                    ferr, out = fn.invoke(event("batch-drifted.json"))
                    text = fn.output()
                self.assertIsNone(ferr, out)
                kept = lambda_filter(text, level)
                metrics = emf_lines(kept)
                self.assertEqual(len(metrics), 1, f"{level}: EMF lines kept {metrics}")
                m = metrics[0]
                self.assertEqual((m["Records"], m["AlertPublishFailures"]), (len(out), 1))
                defined = [d["Name"] for d in m["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
                self.assertIn("AlertPublishFailures", defined)
                # The failure's ERROR line passes at every level the template allows.
                failed = [l for l in kept if l.get("message") == "alert not published"]
                self.assertEqual(len(failed), 0 if level == "FATAL" else 1, (level, failed))


    def test_hostile_endpoint_echoing_credentials_leaks_nothing_from_the_bootstrap(self):
        SNS.fault(code="_echo_credentials", count=5)
        with Function2(BOOTSTRAP, env=alert_env(ALERT_FAILURE="fail")) as fn:
            ferr, out = fn.invoke(event("batch-drifted.json"))
            text = fn.output()
        self.assertEqual(out["errorType"], "AlertPublishFailed", out)
        self.assertIn("[redacted]", out["errorMessage"])
        self.assertEqual(lib.find_pieces(text + json.dumps(out)), [])

    def test_no_topic_and_no_mode_runs_without_alerts(self):
        with Function2(BOOTSTRAP, env=alert_env(ALERT_MODE="", SNS_TOPIC_ARN="")) as fn:
            ferr, out = fn.invoke(event("batch-drifted.json"))
            logs = fn.log_lines()
        self.assertIsNone(ferr, out)
        self.assertEqual(SNS.requests(), [])
        warns = [l for l in logs if l.get("level") == "WARN" and "SNS_TOPIC_ARN" in l["message"]]
        # One warning per initialisation (a loaded machine may see the runtime start again).
        inits = [l for l in logs if l.get("message", "").startswith("initialised")]
        self.assertGreaterEqual(len(inits), 1, logs)
        self.assertEqual(len(warns), len(inits), (warns, inits))

    def init_error(self, **env):
        with Function2(BOOTSTRAP, env=alert_env(**env)) as fn:
            st = fn.wait_for(lambda s: s["exitCode"] is not None, what="runtime exit")
        self.assertNotEqual(st["exitCode"], 0)
        self.assertEqual(len(st["initErrors"]), 1, st)
        err = st["initErrors"][0]
        self.assertEqual(err["errorType"], "Runtime.InvalidConfiguration")
        return json.loads(err["body"])["errorMessage"]

    def test_malformed_topic_arn_is_an_init_error(self):
        msg = self.init_error(SNS_TOPIC_ARN="arn:aws:sns:us-east-1:1234:iris-alerts")
        self.assertIn("SNS_TOPIC_ARN", msg)
        self.assertIn("12 digits", msg)

    def test_non_numeric_threshold_is_an_init_error(self):
        msg = self.init_error(ALERT_ACCURACY_THRESHOLD="high")
        self.assertIn('ALERT_ACCURACY_THRESHOLD="high"', msg)

    def test_missing_credentials_while_alerts_on_is_an_init_error(self):
        msg = self.init_error(AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="",
                              AWS_SESSION_TOKEN="")
        self.assertIn("AWS_ACCESS_KEY_ID", msg)


class Secrets(unittest.TestCase):
    def test_zz_secrets_never_in_stdout_or_stderr(self):
        self.assertGreaterEqual(len(OUTPUTS), 8)
        self.assertEqual([lib.find_leaks(o) for o in OUTPUTS if lib.find_leaks(o)], [])


def main():
    global SNS
    if not os.access(BOOTSTRAP, os.X_OK):
        print(f"sns_e2e: {BOOTSTRAP} not built", file=sys.stderr)
        return 1
    SNS = lib.LocalSns()
    try:
        return lib.run("sns-endtoend", EndToEnd, Secrets)
    finally:
        SNS.stop()


if __name__ == "__main__":
    sys.exit(main())
