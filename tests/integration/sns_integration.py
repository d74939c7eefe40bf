#!/usr/bin/python3
"""The C SNS client (aws/sns) and notifier (lambda/notify), through
build/asan/sns_driver, against tests/doubles/sns_local.py over HTTP on 127.0.0.1.
Every signature is checked by the double with botocore's SigV4Auth; every
captured stdout/stderr is checked for the fake secret key and session token.

  SNS_DRIVER=build/asan/sns_driver /usr/bin/python3 tests/integration/sns_integration.py
"""
import datetime
import json
import os
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
import sns_testlib as lib  # noqa: E402

DRIVER = os.environ.get("SNS_DRIVER", "build/asan/sns_driver")
SNS = None
OUTPUTS = []  # every captured output, for the leak check


def driver(args, creds="long", env_extra=None, timeout=60):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ALERT_", "SNS_"))}
    env.update(AWS_REGION=lib.REGION, AWS_ENDPOINT_URL_SNS=SNS.url)
    if creds == "long":
        env.update(AWS_ACCESS_KEY_ID=lib.KEY_ID, AWS_SECRET_ACCESS_KEY=lib.SECRET)
    elif creds == "session":
        env.update(AWS_ACCESS_KEY_ID=lib.TEMP_KEY_ID, AWS_SECRET_ACCESS_KEY=lib.TEMP_SECRET,
                   AWS_SESSION_TOKEN=lib.TOKEN)
    env.update(env_extra or {})
    p = subprocess.run([DRIVER, *args], capture_output=True, text=True, env=env, timeout=timeout)
    OUTPUTS.append(p.stdout + p.stderr)
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    results = [l for l in lines if "level" not in l]
    logs = [l for l in lines if "level" in l]
    return p, results, logs


def publish(*extra, **kw):
    return driver(["publish", "--topic", lib.TOPIC_ARN, *extra], **kw)


def retry_wait_ms(message):
    """The wait a "... retrying in N ms ..." log message announces."""
    return int(message.split("retrying in ")[1].split(" ms")[0])


def stamp_ms(stamp):
    """A log line's RFC 3339 timestamp ("2026-01-02T03:04:05.678Z") in epoch ms."""
    when = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    return round(when.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


def wait_for(get, done, timeout=10.0):
    """get() once done(get()) holds, or its last value after timeout seconds."""
    end = time.monotonic() + timeout
    value = get()
    while not done(value) and time.monotonic() < end:
        time.sleep(0.05)
        value = get()
    return value


class Publish(unittest.TestCase):
    def setUp(self):
        SNS.reset()

    def assert_published_once(self, r, message, subject=None):
        self.assertEqual(r["status"], 0, f"expected success, got {r}")
        pub = SNS.published()
        self.assertEqual(len(pub), 1, f"expected one message, got {pub}")
        self.assertEqual(pub[0]["message"], message)
        self.assertEqual(pub[0]["subject"], subject)
        self.assertEqual(pub[0]["messageId"], r["messageId"])
        return pub[0]

    def test_long_term_credentials_signature_accepted(self):
        p, (r,), _ = publish("--message", "plain message")
        p0 = self.assert_published_once(r, "plain message")
        self.assertEqual(p0["accessKeyId"], lib.KEY_ID)
        self.assertEqual(p0["signedHeaders"], ["content-type", "host", "x-amz-date"])

    def test_session_token_sent_and_signed(self):
        p, (r,), _ = publish("--message", "with token", creds="session")
        p0 = self.assert_published_once(r, "with token")
        self.assertIn("x-amz-security-token", p0["signedHeaders"])

    def test_message_with_reserved_characters_round_trips(self):
        msg = 'caf\u00e9 \u00fc\u4e2d\U0001F33C & = + % ~ * \n second line "double" \'single\' <x>'
        p, (r,), _ = publish("--message", msg, "--subject", "a+b=c&d %e ~f *g 'h' \"i\"")
        self.assert_published_once(r, msg, "a+b=c&d %e ~f *g 'h' \"i\"")

    def test_subject_at_99_characters_accepted_100_refused_locally(self):
        s99 = ("iris model accuracy 45% < 90% on 20 records " + "x" * 99)[:99]
        p, (r,), _ = publish("--message", "m", "--subject", s99)
        self.assert_published_once(r, "m", s99)
        SNS.reset()
        p, (r,), _ = publish("--message", "m", "--subject", s99 + "y")
        self.assertEqual(r["statusName"], "invalid SNS request", r)
        self.assertEqual(r["attempts"], 0)
        self.assertEqual(SNS.requests(), [])

    def test_message_attributes_delivered(self):
        p, (r,), _ = publish("--message", "m", "--attr", "accuracy:Number:0.45",
                             "--attr", "severity:String:critical")
        p0 = self.assert_published_once(r, "m")
        self.assertEqual(p0["messageAttributes"], {
            "accuracy": {"DataType": "Number", "StringValue": "0.45"},
            "severity": {"DataType": "String", "StringValue": "critical"}})

    def test_wrong_secret_is_signature_mismatch_not_retried_and_not_leaked(self):
        p, (r,), _ = publish("--message", "m", creds=None, env_extra={
            "AWS_ACCESS_KEY_ID": lib.TEMP_KEY_ID, "AWS_SECRET_ACCESS_KEY": "wrong" + lib.SECRET,
            "AWS_SESSION_TOKEN": lib.TOKEN})
        self.assertEqual((r["errorCode"], r["httpStatus"], r["attempts"]),
                         ("SignatureDoesNotMatch", 403, 1), r)
        # The double, like AWS, echoes the canonical request (token included).
        self.assertIn("Canonical String", r["errorMessage"])
        self.assertEqual(lib.find_leaks(p.stdout + p.stderr), [])

    def test_throttled_twice_then_success_three_requests_one_message(self):
        SNS.fault(code="Throttling", status=400, count=2)
        p, (r,), _ = publish("--message", "after throttling", "--backoff-base-ms", "20",
                             "--throttling-backoff-base-ms", "20")
        self.assertEqual(r["attempts"], 3, r)
        self.assert_published_once(r, "after throttling")
        self.assertEqual([q["status"] for q in SNS.requests()], [400, 400, 200])

    def test_throttled_always_three_attempts_then_failure(self):
        SNS.fault(code="Throttling", status=429, count=10)
        p, (r,), _ = publish("--message", "m", "--backoff-base-ms", "20",
                             "--throttling-backoff-base-ms", "20")
        self.assertEqual((r["errorCode"], r["httpStatus"], r["attempts"]),
                         ("Throttling", 429, 3), r)
        self.assertEqual(len(SNS.requests()), 3)
        self.assertEqual(SNS.published(), [])

    def test_invalid_parameter_one_attempt_no_retry(self):
        SNS.fault(code="InvalidParameter", count=5, message="Invalid parameter: Message")
        p, (r,), _ = publish("--message", "m")
        self.assertEqual((r["errorCode"], r["httpStatus"], r["attempts"]),
                         ("InvalidParameter", 400, 1), r)
        self.assertEqual(r["errorMessage"], "Invalid parameter: Message")
        self.assertEqual(len(SNS.requests()), 1)

    def test_unknown_topic_not_found_404_no_retry(self):
        p, (r,), _ = driver(["publish", "--topic", lib.TOPIC_ARN + "-missing", "--message", "m"])
        self.assertEqual((r["errorCode"], r["httpStatus"], r["attempts"]), ("NotFound", 404, 1))

    def test_internal_error_500_retried(self):
        SNS.fault(code="InternalError", count=1)
        p, (r,), _ = publish("--message", "m", "--backoff-base-ms", "20")
        self.assertEqual(r["attempts"], 2, r)
        self.assert_published_once(r, "m")

    def test_dropped_connection_retried(self):
        SNS.fault(code="_close", count=1)
        p, (r,), _ = publish("--message", "m", "--backoff-base-ms", "20")
        self.assertEqual(r["attempts"], 2, r)
        self.assert_published_once(r, "m")

    def test_connection_refused_three_attempts_then_connection_error(self):
        # A port bound but never listened on refuses connections for as long as
        # the socket stays open, and no suite running alongside can take it
        # meanwhile (a port bound and closed again could be).
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            refusing_port = s.getsockname()[1]
            p, (r,), _ = publish("--message", "m", "--backoff-base-ms", "20", env_extra={
                "AWS_ENDPOINT_URL_SNS": f"http://127.0.0.1:{refusing_port}"})
        self.assertEqual((r["errorCode"], r["attempts"]), ("ConnectionError", 3), r)

    def test_deadline_3s_away_no_attempt_starts_past_deadline_minus_margin(self):
        # Each throttled answer takes 1200 ms; margin 1000 ms leaves a 2000 ms window:
        # the first attempt is answered at about 1200 ms, the second is cut off at
        # the limit (deadline - margin), and no third may start.  Seconds, not
        # tenths, so a loaded machine's scheduling delays stay small beside them.
        # tolerance: from the client's last look at the clock to its request
        # reaching the double, and both sides' clock reads (ms).
        margin, tolerance = 1000, 50
        SNS.fault(code="Throttling", count=10, delay_ms=1200)
        p, (r,), logs = publish("--message", "m", "--deadline-in-ms", "3000",
                                "--margin-ms", str(margin), "--backoff-base-ms", "40",
                                "--throttling-backoff-base-ms", "40")
        # The failure is reported, with what went wrong, never dropped.
        self.assertNotEqual(r["status"], 0, r)
        self.assertIn(r["errorCode"], ("Throttling", "Timeout"), r)
        self.assertGreaterEqual(r["attempts"], 1, r)
        limit = r["deadlineMs"] - margin
        # The client's own word: each retry it announced was due before the limit.
        for line in logs:
            if "retrying in" not in line.get("message", ""):
                continue
            due = stamp_ms(line["timestamp"]) + retry_wait_ms(line["message"])
            self.assertLessEqual(due, limit + tolerance,
                                 f"retry announced {due - limit} ms past deadline-margin: {line}")
        # The double's: each attempt arrived (so had started) before the limit.
        # An attempt the client cut off may be logged a moment after it returned.
        requests = wait_for(lambda: SNS.requests(), lambda q: len(q) >= r["attempts"])
        self.assertEqual(len(requests), r["attempts"], (requests, r))
        late = [q["time"] - limit for q in requests if q["time"] > limit + tolerance]
        self.assertEqual(late, [], f"attempts arrived past deadline-margin by {late} ms")
        self.assertLessEqual(r["endedMs"], r["deadlineMs"],
                             f"publish returned {r['endedMs'] - r['deadlineMs']} ms late")

    def test_deadline_already_inside_margin_sends_nothing(self):
        p, (r,), _ = publish("--message", "m", "--deadline-in-ms", "50", "--margin-ms", "100")
        self.assertEqual((r["statusName"], r["attempts"]), ("no time left before the deadline", 0))
        self.assertEqual(SNS.requests(), [])

    def test_throttling_backs_off_on_its_own_base_and_transient_on_the_other(self):
        # Standard mode: a 500 ms base for throttling, 100 ms for transient errors; here
        # scaled to 30 ms and 3000 ms so each retry's announced wait shows which was used.
        SNS.fault(code="Throttling", status=400, count=2)
        p, (r,), logs = publish("--message", "m", "--backoff-base-ms", "3000",
                                "--throttling-backoff-base-ms", "30")
        self.assertEqual((r["status"], r["attempts"]), (0, 3), r)
        waits = [retry_wait_ms(l["message"]) for l in logs
                 if "retrying in" in l.get("message", "")]
        self.assertEqual(len(waits), 2, logs)
        self.assertLessEqual(waits[0], 30)   # r * 2^0 * 30
        self.assertLessEqual(waits[1], 60)   # r * 2^1 * 30
        SNS.reset()
        SNS.fault(code="InternalError", count=1)
        p, (r,), logs = publish("--message", "m", "--backoff-base-ms", "30",
                                "--throttling-backoff-base-ms", "3000")
        waits = [retry_wait_ms(l["message"]) for l in logs
                 if "retrying in" in l.get("message", "")]
        self.assertEqual((r["attempts"], len(waits)), (2, 1), logs)
        self.assertLessEqual(waits[0], 30)
        self.assertIn("transient", [l for l in logs if "retrying in" in l["message"]][0]["message"])

    def test_retry_quota_of_500_stops_retries_after_50_throttled_publishes(self):
        # Standard mode's token bucket (500, 5 per retry): each always-throttled publish
        # spends 2 retries (10), so the 51st client-lifetime publish gets no retry.
        SNS.fault(code="Throttling", status=429, count=1000)
        p, rs, logs = publish("--message", "m", "--repeat", "53", "--backoff-base-ms", "0",
                              "--throttling-backoff-base-ms", "0")
        self.assertEqual([r["attempts"] for r in rs], [3] * 50 + [1] * 3, rs[-4:])
        self.assertEqual(len(SNS.requests()), 153)
        refused = [l for l in logs if "retry quota exhausted" in l.get("message", "")]
        self.assertEqual(len(refused), 3, refused)

    def test_hostile_endpoint_echoing_credentials_leaks_nothing(self):
        SNS.fault(code="_echo_credentials", count=5)
        p, (r,), logs = publish("--message", "m", creds="session")
        self.assertEqual((r["httpStatus"], r["attempts"]), (400, 1), r)
        self.assertIn("[redacted]", r["errorCode"] + r["errorMessage"], r)
        self.assertTrue(all(0x20 <= ord(c) <= 0x7e for c in r["errorMessage"]), r)
        self.assertEqual(lib.find_pieces(p.stdout + p.stderr), [])

    def test_hostile_endpoint_through_the_notifier_leaks_nothing(self):
        SNS.fault(code="_echo_credentials", count=5)
        p, (r,), logs = driver(["notify", "--misclassified", "11"], creds="session",
                               env_extra=dict(Notify.ENV))
        self.assertEqual(r["outcome"], "failed", r)
        (line,) = [l for l in logs if l.get("message") == "alert not published"]
        self.assertIn("[redacted]", line["errorCode"], line)
        self.assertEqual(lib.find_pieces(p.stdout + p.stderr), [])

    def test_fifo_publish_carries_group_and_dedup_ids_and_duplicates_are_dropped(self):
        args = ["--message", "m", "--group-id", "iris-scoring", "--dedup-id",
                "threshold-critical,iris/0/100-119"]
        p, (r1,), _ = driver(["publish", "--topic", lib.FIFO_TOPIC_ARN, *args])
        p, (r2,), _ = driver(["publish", "--topic", lib.FIFO_TOPIC_ARN, *args])
        self.assertEqual((r1["status"], r2["status"]), (0, 0), (r1, r2))
        (pub,) = SNS.published()
        self.assertEqual((pub["messageGroupId"], pub["messageDeduplicationId"]),
                         ("iris-scoring", "threshold-critical,iris/0/100-119"))
        self.assertEqual([q["duplicate"] for q in SNS.requests()], [False, True])

    def test_fifo_publish_without_group_is_refused_before_sending(self):
        p, (r,), _ = driver(["publish", "--topic", lib.FIFO_TOPIC_ARN, "--message", "m",
                             "--dedup-id", "d"])
        self.assertEqual((r["statusName"], r["attempts"]), ("invalid SNS request", 0), r)
        self.assertIn("MessageGroupId", r["errorMessage"])
        self.assertEqual(SNS.requests(), [])

    def test_one_connection_reused_across_publishes(self):
        p, rs, _ = publish("--message", "m", "--repeat", "3")
        self.assertEqual([r["status"] for r in rs], [0, 0, 0])
        conns = {q["connection"] for q in SNS.requests()}
        self.assertEqual(len(conns), 1, f"expected one TCP connection, got {conns}")


class Notify(unittest.TestCase):
    ENV = {"SNS_TOPIC_ARN": lib.TOPIC_ARN, "AWS_LAMBDA_FUNCTION_NAME": "iris-scorer",
           "ALERT_MODE": "threshold"}  # the per-batch messages these tests read

    def setUp(self):
        SNS.reset()

    def notify(self, k, env=None, **kw):
        return driver(["notify", "--misclassified", str(k), *kw.get("args", [])],
                      env_extra=dict(self.ENV, **(env or {})))

    def test_drifted_batch_one_alert_with_counts(self):
        p, (r,), logs = self.notify(11)
        self.assertEqual((r["rc"], r["err"]), (0, ""))
        (pub,) = SNS.published()
        self.assertEqual(pub["subject"],
                         "iris model accuracy 45% < 90% on 20 records (iris/0 100-119)")
        m = json.loads(pub["message"])
        self.assertEqual((m["records"], m["labelled"], m["correct"], m["accuracy"]),
                         (20, 20, 9, 0.45))
        self.assertEqual(m["functionName"], "iris-scorer")
        self.assertEqual(m["requestId"], "driver-request-1")
        self.assertEqual(m["offsetRanges"], [{"topic": "iris", "partition": 0, "firstOffset": 100,
                                              "lastOffset": 119, "records": 20}])
        self.assertEqual(len(m["misclassified"]), 5)
        self.assertEqual(m["misclassifiedTotal"], 11)
        self.assertEqual(pub["messageAttributes"]["severity"]["StringValue"], "critical")
        self.assertEqual(float(pub["messageAttributes"]["accuracy"]["StringValue"]), 0.45)
        published_logs = [l for l in logs if l.get("message") == "alert published"]
        self.assertEqual([l["messageId"] for l in published_logs], [pub["messageId"]])

    def test_fifo_topic_alert_has_ids_from_the_batch_and_a_redelivery_is_not_delivered(self):
        env = {"SNS_TOPIC_ARN": lib.FIFO_TOPIC_ARN}
        p, rs, _ = self.notify(11, env=env, args=["--repeat", "2"])
        self.assertEqual([r["outcome"] for r in rs], ["published", "published"], rs)
        (pub,) = SNS.published()
        self.assertEqual(pub["messageGroupId"], "iris-scorer")
        self.assertEqual(pub["messageDeduplicationId"], "batch-threshold-critical,iris/0/100-119")
        self.assertEqual([q["duplicate"] for q in SNS.requests()], [False, True])

    def test_standard_topic_alert_has_no_fifo_ids(self):
        p, (r,), _ = self.notify(11)
        (pub,) = SNS.published()
        self.assertEqual((pub["messageGroupId"], pub["messageDeduplicationId"]), (None, None))

    def test_good_batch_no_alert(self):
        p, (r,), _ = self.notify(1)  # 95% accuracy
        self.assertEqual(r["rc"], 0)
        self.assertEqual(SNS.published(), [])
        self.assertEqual(SNS.requests(), [])

    def test_every_mode_one_alert_per_batch(self):
        p, rs, _ = self.notify(0, env={"ALERT_MODE": "every"}, args=["--repeat", "3"])
        self.assertEqual([r["rc"] for r in rs], [0, 0, 0])
        pubs = SNS.published()
        self.assertEqual(len(pubs), 3)
        self.assertEqual(pubs[0]["subject"],
                         "iris model accuracy 100% >= 90% on 20 records (iris/0 100-119)")
        self.assertEqual(pubs[0]["messageAttributes"]["severity"]["StringValue"], "info")

    def test_publish_failure_is_logged_at_error_and_by_default_does_not_fail(self):
        SNS.fault(code="AuthorizationError", count=5)
        p, (r,), logs = self.notify(11)
        self.assertEqual((r["rc"], r["outcome"], r["failsInvocation"]), (-1, "failed", False), r)
        self.assertIn("AuthorizationError", r["err"])
        self.assertIn("HTTP 403", r["err"])
        self.assertIn(lib.TOPIC_ARN, r["err"])
        self.assertEqual(len(SNS.requests()), 1)
        (line,) = [l for l in logs if l.get("message") == "alert not published"]
        self.assertEqual((line["level"], line["errorCode"], line["httpStatus"],
                          line["alertFailure"], line["invocation"]),
                         ("ERROR", "AuthorizationError", 403, "log",
                          "answered with the batch's results"), line)

    def test_alert_failure_fail_makes_the_failure_fail_the_invocation(self):
        SNS.fault(code="AuthorizationError", count=5)
        p, (r,), logs = self.notify(11, env={"ALERT_FAILURE": "FAIL"})
        self.assertEqual((r["rc"], r["outcome"], r["failsInvocation"]), (-1, "failed", True), r)
        (line,) = [l for l in logs if l.get("message") == "alert not published"]
        self.assertEqual(line["invocation"], "failed with AlertPublishFailed")

    def test_published_and_not_due_outcomes(self):
        p, (r,), _ = self.notify(11)
        self.assertEqual((r["rc"], r["outcome"]), (0, "published"))
        p, (r,), _ = self.notify(0)
        self.assertEqual((r["rc"], r["outcome"]), (0, "not due"))

    def test_no_topic_and_no_mode_disables_with_one_warning(self):
        p, (r,), logs = driver(["notify", "--misclassified", "11"], env_extra={})
        self.assertEqual(r["rc"], 0)
        warns = [l for l in logs if l["level"] == "WARN"]
        self.assertEqual(len(warns), 1, logs)
        self.assertIn("SNS_TOPIC_ARN", warns[0]["message"])
        self.assertEqual(SNS.requests(), [])

    def test_init_errors_name_the_variable(self):
        cases = [
            ({"SNS_TOPIC_ARN": "arn:aws:sqs:us-east-1:123456789012:iris"}, "SNS_TOPIC_ARN"),
            ({"SNS_TOPIC_ARN": "iris-alerts"}, "SNS_TOPIC_ARN"),
            ({"ALERT_ACCURACY_THRESHOLD": "ninety"}, "ALERT_ACCURACY_THRESHOLD"),
            ({"ALERT_MIN_RECORDS": "-3"}, "ALERT_MIN_RECORDS"),
            ({"ALERT_MODE": "sometimes"}, "ALERT_MODE"),
            ({"ALERT_FAILURE": "ignore"}, "ALERT_FAILURE"),
            ({"SNS_TOPIC_ARN": "", "ALERT_MODE": "every"}, "SNS_TOPIC_ARN"),
            ({"AWS_ENDPOINT_URL_SNS": "ftp://127.0.0.1/"}, "AWS_ENDPOINT_URL_SNS"),
        ]
        for env, var in cases:
            with self.subTest(env=env):
                p, (r,), _ = self.notify(11, env=env)
                self.assertEqual(p.returncode, 3, p.stdout)
                self.assertIn(var, r["initError"])

    def test_missing_credentials_is_init_error(self):
        p, (r,), _ = driver(["notify", "--misclassified", "11"], creds=None, env_extra=self.ENV)
        self.assertEqual(p.returncode, 3)
        self.assertIn("AWS_ACCESS_KEY_ID", r["initError"])


class Secrets(unittest.TestCase):
    def test_zz_no_secret_in_any_captured_output(self):
        self.assertGreater(len(OUTPUTS), 10)
        leaks = [(i, lib.find_leaks(o)) for i, o in enumerate(OUTPUTS) if lib.find_leaks(o)]
        self.assertEqual(leaks, [])
        self.assertEqual(lib.find_leaks(SNS.output()), [])


def main():
    global SNS
    if not os.access(DRIVER, os.X_OK):
        print(f"sns_integration: driver {DRIVER} not built", file=sys.stderr)
        return 1
    SNS = lib.LocalSns(("--topic", lib.FIFO_TOPIC))
    try:
        return lib.run("sns-integration", Publish, Notify, Secrets)
    finally:
        SNS.stop()


if __name__ == "__main__":
    sys.exit(main())
