#!/usr/bin/env python3
"""Integration tests: the real bootstrap (BOOTSTRAP, default build/bootstrap)
against the Runtime API emulator over real HTTP on 127.0.0.1."""
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from rapi_harness import (LOG_LEVELS, ROOT, Function, event, lambda_filter,  # noqa: E402
                          lambda_log_level, run_unittests)

BOOTSTRAP = os.path.abspath(os.environ.get("BOOTSTRAP", os.path.join(ROOT, "build", "bootstrap")))
SPECIES = {"setosa", "versicolor", "virginica"}
# How long an exit may take before it counts as a hang: generous, since CI
# runs the ASan bootstrap on 2 loaded cores (a clean exit takes well under 1 s).
EXIT_WITHIN = 15


class Success(unittest.TestCase):
    def test_correct_batch_gets_one_scored_element_per_record_in_order(self):
        src = json.loads(event("batch-correct.json"))
        with Function(BOOTSTRAP) as fn:
            ferr, out = fn.invoke(event("batch-correct.json"))
        self.assertIsNone(ferr, out)
        self.assertEqual(len(out), len(src))
        for s, o in zip(src, out):
            sp, op = s["payload"], o["payload"]
            self.assertEqual(list(o), ["payload"])
            self.assertNotIn("error", op)
            for k in ("topic", "partition", "offset", "timestamp"):
                self.assertEqual(op[k], sp[k], k)
            for k in ("sepalLength", "sepalWidth", "petalLength", "petalWidth", "species"):
                self.assertEqual(op[k], sp["value"][k], k)
            self.assertIn(op["predictedSpecies"], SPECIES)
            self.assertEqual(set(op["probabilities"]), SPECIES)
            self.assertAlmostEqual(sum(op["probabilities"].values()), 1.0, delta=1e-5)
            best = max(op["probabilities"], key=op["probabilities"].get)
            self.assertEqual(best, op["predictedSpecies"])
            self.assertEqual(op["correct"], op["species"] == op["predictedSpecies"])
        self.assertGreaterEqual(sum(o["payload"]["correct"] for o in out), 18)

    def test_summary_and_emf_lines_are_logged(self):
        with Function(BOOTSTRAP, emulator_args=["--function-name", "iris-fn"],
                      env={"METRICS_NAMESPACE": "IrisTest",
                           }) as fn:
            ferr, out = fn.invoke(event("batch-drifted.json"))
            self.assertIsNone(ferr)
            lines = fn.log_lines()
        summary = [l for l in lines if l.get("message") == "batch scored"]
        self.assertEqual(len(summary), 1, lines)
        s = summary[0]
        self.assertEqual(s["records"], 20)
        self.assertEqual(s["labelled"], 20)
        agree = sum(o["payload"]["correct"] for o in out)
        self.assertEqual(s["correct"], agree)
        self.assertAlmostEqual(s["accuracy"], agree / 20)
        self.assertEqual(sum(c["count"] for c in s["confusion"]), 20)
        self.assertEqual(sum(w["count"] for w in s["windows"]), 20)
        self.assertTrue(s["requestId"])
        emf = [l for l in lines if "_aws" in l]
        self.assertEqual(len(emf), 1)
        m = emf[0]["_aws"]["CloudWatchMetrics"][0]
        self.assertEqual(m["Namespace"], "IrisTest")
        self.assertEqual({x["Name"] for x in m["Metrics"]},
                         # no ALERT_STATE_TABLE: no AlertStateRequests/AlertStateFallbacks
                         {"Records", "Accuracy", "InvalidRecords", "AlertsPublished", "AlertPublishFailures",
                          "AccuracyEvidence", "InputDriftEvidence", "AtypicalRecords",
                          "AccuracyDropAlerts", "InputDriftAlerts"})
        # 15 of 20 labels wrong: the accuracy test's evidence passes its
        # threshold within this one batch (lambda/ALERTS.md); the inputs are iris flowers.
        self.assertEqual((emf[0]["AccuracyDropAlerts"], emf[0]["InputDriftAlerts"]), (1, 0))
        self.assertEqual(emf[0]["FunctionName"], "iris-fn")
        self.assertEqual(emf[0]["Records"], 20)
        self.assertAlmostEqual(emf[0]["Accuracy"], agree / 20)

    def test_every_value_encoding_and_shape_is_scored(self):
        with Function(BOOTSTRAP) as fn:
            base = fn.invoke(event("batch-correct.json"))[1][:10]
            for name in ("batch-escaped-strings.json", "batch-map-strings.json", "batch-base64.json",
                         "batch-ksqldb-uppercase.json"):
                ferr, out = fn.invoke(event(name))
                self.assertIsNone(ferr, name)
                self.assertEqual(len(out), 10, name)
                for b, o in zip(base, out):
                    self.assertNotIn("error", o["payload"], name)
                    self.assertEqual(o["payload"]["predictedSpecies"],
                                     b["payload"]["predictedSpecies"], name)
                    self.assertEqual(o["payload"]["species"], b["payload"]["species"], name)
            ferr, out = fn.invoke(event("record-bare.json"))
            self.assertIsNone(ferr)
            self.assertEqual(len(out), 1)
            self.assertEqual(out[0]["payload"]["predictedSpecies"], "virginica")
            self.assertIsNone(out[0]["payload"]["offset"])

    def test_bad_records_get_errors_and_the_rest_are_scored(self):
        src = json.loads(event("batch-mixed.json"))
        with Function(BOOTSTRAP) as fn:
            ferr, out = fn.invoke(event("batch-mixed.json"))
        self.assertIsNone(ferr)
        self.assertEqual(len(out), len(src))
        # The connector keeps only the element's payload: errors are inside it.
        self.assertTrue(all(list(o) == ["payload"] for o in out), out)
        errors = {o["payload"]["offset"]: o["payload"]["error"] for o in out
                  if "error" in o["payload"]}
        self.assertEqual(errors, {
            301: 'value.sepalLength: expected a number, got string "abc"',
            303: "value: missing field sepalLength (also accepted: sepal_length style, "
                 "SEPAL_LENGTH style)",
            305: 'value: string "not json and not base64!" is neither a JSON object nor base64',
            307: "value: null (a tombstone or empty record), expected an iris object",
            309: 'value.species: unknown species "rose" (the model knows setosa, versicolor, '
                 'virginica)',
            311: "value.sepalLength: -5.1 is out of range (a length in cm, 0 to 100)",
        })
        for s, o in zip(src, out):
            self.assertEqual(o["payload"]["offset"], s["payload"]["offset"])
            self.assertEqual(o["payload"]["topic"], "iris")
            if "error" not in o["payload"]:
                self.assertIn(o["payload"]["predictedSpecies"], SPECIES)
        unlabelled = [o for o in out if o["payload"]["offset"] == 312][0]
        self.assertIsNone(unlabelled["payload"]["species"])
        self.assertIsNone(unlabelled["payload"]["correct"])


class Failures(unittest.TestCase):
    def test_invalid_event_fails_the_invocation_with_InvalidEvent(self):
        with Function(BOOTSTRAP) as fn:
            for payload, msg in ((b"this is not json", "syntax error at byte 0"),
                                 (b'{"hello":"world"}', "without iris fields"),
                                 (b"42", "the event is a JSON number")):
                ferr, out = fn.invoke(payload)
                self.assertEqual(ferr, "Unhandled")
                self.assertEqual(out["errorType"], "InvalidEvent")
                self.assertIn(msg, out["errorMessage"])
                self.assertEqual(out["stackTrace"], [])
            # the runtime is still serving
            ferr, out = fn.invoke(event("record-bare.json"))
            self.assertIsNone(ferr)

    def init_error(self, env):
        with Function(BOOTSTRAP, env=env) as fn:
            st = fn.wait_for(lambda s: s["exitCode"] is not None, what="runtime exit")
            ferr, out = fn.invoke(event("record-bare.json"))
        self.assertNotEqual(st["exitCode"], 0)
        self.assertEqual(len(st["initErrors"]), 1)
        self.assertEqual(ferr, "Unhandled")
        return st["initErrors"][0], out

    def test_missing_model_is_an_init_error(self):
        err, out = self.init_error({"MODEL_PATH": "/nonexistent/iris-model.json"})
        self.assertEqual(err["errorType"], "Runtime.InvalidModel")
        body = json.loads(err["body"])
        self.assertIn("/nonexistent/iris-model.json", body["errorMessage"])
        self.assertEqual(out["errorType"], "Runtime.InvalidModel")

    def test_corrupt_model_is_an_init_error(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write('{"format": "iris-model/1", "family": ')
        try:
            err, _ = self.init_error({"MODEL_PATH": f.name})
        finally:
            os.unlink(f.name)
        self.assertEqual(err["errorType"], "Runtime.InvalidModel")
        self.assertIn(f.name, json.loads(err["body"])["errorMessage"])

    def test_model_is_found_beside_the_executable_or_under_the_task_root(self):
        import shutil
        d = tempfile.mkdtemp(prefix="task-root-")
        try:
            os.makedirs(os.path.join(d, "model"))
            shutil.copy(BOOTSTRAP, os.path.join(d, "bootstrap"))
            shutil.copy(os.path.join(ROOT, "model", "iris-model.json"), os.path.join(d, "model"))
            # MODEL_PATH unset: beside the executable
            with Function(os.path.join(d, "bootstrap"), env={"MODEL_PATH": ""}) as fn:
                ferr, out = fn.invoke(event("record-bare.json"))
                self.assertIsNone(ferr, out)
                self.assertIn("initialised: model " + d + "/model/iris-model.json", fn.output())
            # $LAMBDA_TASK_ROOT wins over the executable's folder
            with Function(BOOTSTRAP, env={"MODEL_PATH": "", "LAMBDA_TASK_ROOT": d}) as fn:
                ferr, out = fn.invoke(event("record-bare.json"))
                self.assertIsNone(ferr, out)
                self.assertIn("initialised: model " + d + "/model/iris-model.json", fn.output())
        finally:
            shutil.rmtree(d)

    def test_invalid_log_level_is_an_init_error(self):
        err, _ = self.init_error({"AWS_LAMBDA_LOG_LEVEL": "LOUD"})
        self.assertEqual(err["errorType"], "Runtime.InvalidConfiguration")
        self.assertIn("AWS_LAMBDA_LOG_LEVEL=LOUD", json.loads(err["body"])["errorMessage"])

    def test_response_over_the_size_limit_is_reported_not_hung(self):
        with Function(BOOTSTRAP, emulator_args=["--max-response-bytes", "2000"]) as fn:
            ferr, out = fn.invoke(event("batch-correct.json"))
            self.assertEqual(ferr, "Unhandled")
            self.assertEqual(out["errorType"], "Function.ResponseSizeTooLarge")
            self.assertIn("bytes", out["errorMessage"])
            ferr, out = fn.invoke(event("record-bare.json"))  # still serving
            self.assertIsNone(ferr, out)

    def test_runtime_api_500_makes_the_runtime_exit(self):
        with Function(BOOTSTRAP) as fn:
            fn.wait_for(lambda s: s["nextCount"] >= 1, what="first GET /next")
            fn.fault("next", 500)
            ferr, _ = fn.invoke(event("record-bare.json"))  # served by the pending GET
            self.assertIsNone(ferr)
            t0 = time.monotonic()
            st = fn.wait_for(lambda s: s["exitCode"] is not None, what="exit")
            # It exits instead of asking again: the GET /next that met the 500
            # was its last (the first one served the invoke).  The time is a
            # hang detector only (a loaded machine stalls an ASan process).
            self.assertEqual(st["nextCount"], 2, "GET /next after the 500: %s" % st["requests"])
            self.assertLess(time.monotonic() - t0, EXIT_WITHIN)
            self.assertEqual(st["exitCode"], 1)
            self.assertIn("answered 500 to GET /invocation/next", fn.output())

    def test_unreachable_runtime_api_is_retried_then_exits(self):
        # A port bound but never listened on refuses connections, and no other
        # suite running alongside can take it meanwhile (a closed one could).
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        env = dict(os.environ, AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % port,
                   MODEL_PATH=os.path.join(ROOT, "model", "iris-model.json"), ALERT_MODE="off")
        t0 = time.monotonic()
        try:
            p = subprocess.run([BOOTSTRAP], env=env, capture_output=True, timeout=60)
        finally:
            s.close()
        elapsed = time.monotonic() - t0
        out = p.stdout.decode() + p.stderr.decode()
        self.assertEqual(p.returncode, 1)
        self.assertEqual(out.count("retrying in"), 5, out)
        self.assertIn("cannot reach the Runtime API", out)
        # It waited its backoffs (50, 100, 200, 400 and 800 ms) and then gave
        # up; the upper bound only detects a hang.
        self.assertGreaterEqual(elapsed, 1.55)
        self.assertLess(elapsed, 30)

    def test_missing_runtime_api_variable(self):
        env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_RUNTIME_API"}
        p = subprocess.run([BOOTSTRAP], env=env, capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("AWS_LAMBDA_RUNTIME_API is not set", p.stdout.decode())


ERROR_CONTENT_TYPE = "application/vnd.aws.lambda.error+json"


class ErrorReporting(unittest.TestCase):
    """How errors reach the Runtime API (its OpenAPI description)."""

    def test_invocation_errors_are_posted_as_lambda_error_json_with_the_type_header(self):
        with Function(BOOTSTRAP) as fn:
            ferr, out = fn.invoke(b"this is not json")
            posts = [r for r in fn.runtime_requests() if r["path"].endswith("/error")]
        self.assertEqual(out["errorType"], "InvalidEvent")
        self.assertEqual(len(posts), 1, posts)
        self.assertEqual(posts[0]["contentType"], ERROR_CONTENT_TYPE)
        self.assertEqual(posts[0]["errorType"], "InvalidEvent")

    def test_init_errors_are_posted_as_lambda_error_json_with_the_type_header(self):
        with Function(BOOTSTRAP, env={"MODEL_PATH": "/nonexistent/m.json"}) as fn:
            fn.wait_for(lambda s: s["exitCode"] is not None, what="runtime exit")
            posts = [r for r in fn.runtime_requests() if r["path"].endswith("/init/error")]
        self.assertEqual(len(posts), 1, posts)
        self.assertEqual(posts[0]["contentType"], ERROR_CONTENT_TYPE)
        self.assertEqual(posts[0]["errorType"], "Runtime.InvalidModel")

    def test_after_a_413_lambda_fails_the_invocation_and_no_error_is_posted(self):
        with Function(BOOTSTRAP, emulator_args=["--max-response-bytes", "2000"]) as fn:
            ferr, out = fn.invoke(event("batch-correct.json"))
            self.assertIsNone(fn.invoke(event("record-bare.json"))[0])  # still serving
            posts = [r["path"] for r in fn.runtime_requests() if r["method"] == "POST"]
            self.assertIn("refused the response of", fn.output())
        self.assertEqual(ferr, "Unhandled")
        self.assertEqual(out, {"errorType": "Function.ResponseSizeTooLarge",
                               "errorMessage": "Response payload size exceeded maximum allowed "
                                               "payload size (2000 bytes)."})
        self.assertEqual(len(posts), 2, posts)  # the two responses, no /error
        self.assertTrue(all(p.endswith("/response") for p in posts), posts)


class HostileRuntimeApi(unittest.TestCase):
    """The client trusts nothing the Runtime API sends (a hostile or broken peer)."""

    def assert_still_serving(self, fn):
        ferr, out = fn.invoke(event("record-bare.json"))
        self.assertIsNone(ferr, out)
        self.assertTrue(fn.state()["alive"])

    def invalid_invocation(self, fn, **hostile):
        fn.hostile(**hostile)
        ferr, out = fn.invoke(event("record-bare.json"))
        self.assertEqual(ferr, "Unhandled", out)
        self.assertEqual(out["errorType"], "Runtime.InvalidInvocation", out)
        return out["errorMessage"]

    def test_request_ids_that_would_change_the_url_path_are_never_used(self):
        with Function(BOOTSTRAP, emulator_args=["--timeout", "1.5"]) as fn:
            for rid in ("../../init", "..", ".", "a/b", "a\\b", "x\ty"):
                fn.hostile(request_id=rid)
                ferr, out = fn.invoke(event("record-bare.json"))
                self.assertEqual(out["errorType"], "Sandbox.Timedout", (rid, out))
            posts = [r["path"] for r in fn.runtime_requests() if r["method"] == "POST"]
            self.assertEqual(posts, [], "no invocation could be answered, so nothing is posted")
            self.assertIn("cannot be used in a URL path", fn.output())
            self.assert_still_serving(fn)

    def test_request_ids_with_spaces_and_other_bytes_are_percent_encoded_and_answered(self):
        with Function(BOOTSTRAP) as fn:
            fn.hostile(request_id="id with space%?#\xe9")
            ferr, out = fn.invoke(event("record-bare.json"))
            self.assertIsNone(ferr, out)
            posts = [r["path"] for r in fn.runtime_requests() if r["method"] == "POST"]
            self.assert_still_serving(fn)
        self.assertEqual(posts[0], "/2018-06-01/runtime/invocation/id%20with%20space%25%3F%23%E9"
                                   "/response")

    def test_invocation_without_a_request_id_is_logged_and_the_runtime_goes_on(self):
        with Function(BOOTSTRAP, emulator_args=["--timeout", "1.5"]) as fn:
            fn.hostile(headers={"Lambda-Runtime-Aws-Request-Id": None})
            self.assertEqual(fn.invoke(event("record-bare.json"))[1]["errorType"],
                             "Sandbox.Timedout")
            self.assertIn("without Lambda-Runtime-Aws-Request-Id", fn.output())
            self.assert_still_serving(fn)

    def test_malformed_header_line_fails_the_invocation_instead_of_losing_it(self):
        with Function(BOOTSTRAP) as fn:
            msg = self.invalid_invocation(fn, raw_lines=["Garbage line without a colon"])
            self.assertEqual(msg, "the Runtime API's response to GET /invocation/next could not "
                                  "be read: a header line without a name and ':'")
            msg = self.invalid_invocation(fn, raw_lines=["X-Odd: a\x00b"])
            self.assertIn("a NUL byte in a header line", msg)
            msg = self.invalid_invocation(fn, raw_lines=["X-Odd: a", " folded"])
            self.assertIn("a folded header line", msg)
            msg = self.invalid_invocation(fn, raw_lines=["Bad Name: x"])
            self.assertIn("a header name with byte 0x20", msg)
            self.assert_still_serving(fn)

    def test_200_kb_client_context_fails_the_invocation_instead_of_losing_it(self):
        with Function(BOOTSTRAP) as fn:
            msg = self.invalid_invocation(
                fn, headers={"Lambda-Runtime-Client-Context": "x" * 200000})
            self.assertIn("a status or header line longer than 65536 bytes", msg)
            self.assert_still_serving(fn)

    def test_client_context_over_16_kb_fails_the_invocation_naming_the_header(self):
        with Function(BOOTSTRAP) as fn:
            msg = self.invalid_invocation(
                fn, headers={"Lambda-Runtime-Client-Context": "{" + "x" * 20000 + "}"})
            self.assertEqual(msg, "the Runtime API sent Lambda-Runtime-Client-Context of 20002 "
                                  "bytes; the limit is 16384 bytes")
            msg = self.invalid_invocation(
                fn, headers={"Lambda-Runtime-Cognito-Identity": "y" * 16385})
            self.assertIn("Lambda-Runtime-Cognito-Identity of 16385 bytes", msg)
            self.assert_still_serving(fn)

    def test_malformed_deadline_trace_id_and_arn_fail_the_invocation(self):
        with Function(BOOTSTRAP) as fn:
            msg = self.invalid_invocation(fn, headers={"Lambda-Runtime-Deadline-Ms": "soon"})
            self.assertIn('Lambda-Runtime-Deadline-Ms: "soon"', msg)
            msg = self.invalid_invocation(fn, headers={"Lambda-Runtime-Deadline-Ms": "9" * 30})
            self.assertIn("Lambda-Runtime-Deadline-Ms", msg)
            msg = self.invalid_invocation(fn, headers={"Lambda-Runtime-Trace-Id": "Root=1-\x01"})
            self.assertIn("Lambda-Runtime-Trace-Id with byte 0x01 at offset 7", msg)
            msg = self.invalid_invocation(
                fn, headers={"Lambda-Runtime-Invoked-Function-Arn": "arn:" + "a" * 3000})
            self.assertIn("Lambda-Runtime-Invoked-Function-Arn of 3004 bytes", msg)
            self.assert_still_serving(fn)

    def test_a_lambda_header_sent_twice_fails_the_invocation(self):
        with Function(BOOTSTRAP) as fn:
            msg = self.invalid_invocation(fn, raw_lines=["Lambda-Runtime-Deadline-Ms: 1"])
            self.assertEqual(msg, "the Runtime API sent Lambda-Runtime-Deadline-Ms twice")
            self.assert_still_serving(fn)

    def test_peer_bytes_never_break_the_json_log_lines(self):
        with Function(BOOTSTRAP) as fn:
            fn.hostile(request_id="bad\xff\x80id")
            self.assertIsNone(fn.invoke(event("record-bare.json"))[0])
            for line in fn.output().splitlines():
                if line.startswith("{"):
                    json.loads(line)  # every log line stays valid JSON
            ids = {l.get("requestId") for l in fn.log_lines()}
        self.assertIn("bad\\xFF\\x80id", ids)


    def test_hostile_strings_in_records_never_break_the_json_log_lines(self):
        # Record-derived text reaches the DEBUG event line, the summary's
        # windows and confusion, the EMF line and the record errors: every
        # stdout line must stay one valid UTF-8 JSON object whatever it holds.
        val = {"sepalLength": 5.1, "sepalWidth": 3.5, "petalLength": 1.4, "petalWidth": 0.2,
               "species": "setosa"}
        records = [
            {"topic": "t\x1b[31m\u2028\ud7ff\ufffe\"\\", "key": "k\x01\x7f"},
            {"topic": "RAWBYTES", "key": {"a\nb": ["\x1f"]}},
            {"topic": "iris", "value": dict(val, species="set\x1bosa\n")},
            {"topic": "iris", "value": dict(val, sepalWidth="\u0000x")},
            {"topic": "T" * 300},
            {"topic": "iris", "value": dict(val, sepalLength="0x3\x07")},
            {"topic": "iris", "value": "{\"sepalLength\":\"\\u0000\"}"},
            {"topic": "iris", "value": "{sepalLength=\x1b, sepalWidth=inf}"},
        ]
        items = []
        for i, r in enumerate(records):
            p = {"partition": i, "offset": 10 + i, "timestamp": 1604302260000 + i,
                 "value": dict(val)}
            p.update(r)
            items.append({"payload": p})
        body = json.dumps(items).encode().replace(b"RAWBYTES", b"r\xff\xc3\xa0\xed\xa0\x80")
        with Function(BOOTSTRAP, env={"AWS_LAMBDA_LOG_LEVEL": "DEBUG"}) as fn:
            ferr, out = fn.invoke(body)
            raw = open(fn.log_path, "rb").read()
        self.assertIsNone(ferr, out)
        errors = [o["payload"].get("error") for o in out]
        self.assertEqual([e is None for e in errors],
                         [True, True, False, False, False, False, False, False], errors)
        self.assertIn("a \\u0000 escape", errors[3])
        self.assertEqual(errors[5], 'value.sepalLength: expected a number, got string "0x3?"')
        seen = 0
        for line in raw.splitlines():
            if line.startswith(b"rapi-emulator:"):
                continue
            obj = json.loads(line.decode("utf-8"))  # strict UTF-8, one JSON object
            self.assertIsInstance(obj, dict)
            seen += 1
        self.assertGreaterEqual(seen, 3)


class Lifecycle(unittest.TestCase):
    def test_trace_id_is_exported_per_invocation(self):
        with Function(BOOTSTRAP) as fn:
            ids = ["Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
                   "Root=1-6759e988-ad862e3fe1be46a994272794;Parent=63995c3f42cd8ad9;Sampled=0"]
            for tid in ids:
                ferr, _ = fn.invoke(event("record-bare.json"), headers={"X-Amzn-Trace-Id": tid})
                self.assertIsNone(ferr)
            seen = [l.get("xrayTraceId") for l in fn.log_lines() if l.get("message") == "batch scored"]
        self.assertEqual(seen, ids)

    def test_sigterm_between_invocations_exits_zero(self):
        with Function(BOOTSTRAP) as fn:
            self.assertIsNone(fn.invoke(event("record-bare.json"))[0])
            st = fn.wait_for(lambda s: s["nextCount"] >= 2, what="second GET /next")
            t0 = time.monotonic()
            os.kill(st["pid"], signal.SIGTERM)
            st = fn.wait_for(lambda s: s["exitCode"] is not None, what="exit")
            self.assertEqual(st["exitCode"], 0)
            self.assertLess(time.monotonic() - t0, EXIT_WITHIN)  # a hang detector

    def test_sigterm_during_an_invocation_finishes_it_first(self):
        big = json.loads(event("batch-correct.json")) * 600  # 12,000 records, response < 6 MB
        payload = json.dumps(big).encode()
        with Function(BOOTSTRAP) as fn:
            fn.wait_for(lambda s: s["nextCount"] >= 1, what="first GET /next")
            import threading
            result = {}
            t = threading.Thread(target=lambda: result.update(r=fn.invoke(payload)))
            t.start()
            st = fn.wait_for(lambda s: s["inFlight"] >= 1, what="invocation in flight")
            os.kill(st["pid"], signal.SIGTERM)
            t.join(60)
            st = fn.wait_for(lambda s: s["exitCode"] is not None, what="exit")
        ferr, out = result["r"]
        self.assertIsNone(ferr)
        self.assertEqual(len(out), 12000)
        self.assertEqual(st["exitCode"], 0)

    def test_log_level_warn_silences_info(self):
        with Function(BOOTSTRAP, env={"AWS_LAMBDA_LOG_LEVEL": "WARN"}) as fn:
            self.assertIsNone(fn.invoke(event("batch-correct.json"))[0])
            lines = fn.log_lines()
        self.assertFalse([l for l in lines if l.get("level") == "INFO"], lines)
        self.assertEqual(len([l for l in lines if "_aws" in l]), 1)  # metrics still emitted

    def test_every_line_carries_its_level_and_a_timestamp_lambda_accepts(self):
        # Lambda's log-level filter ("Log-level filtering", Lambda developer guide)
        # reads a JSON line's "level" only beside a valid RFC 3339 "timestamp".
        with Function(BOOTSTRAP, env={"AWS_LAMBDA_LOG_LEVEL": "TRACE"}) as fn:
            for ev in (event("batch-drifted.json"), b"this is not json", event("record-bare.json")):
                fn.invoke(ev)
            lines = fn.log_lines()
        self.assertGreaterEqual(len(lines), 5)
        self.assertTrue([l for l in lines if "_aws" in l], "the metrics line is among them")
        for line in lines:
            self.assertEqual(lambda_log_level(line), str(line.get("level")).upper(), line)

    def test_metrics_survive_lambda_log_level_filtering_above_info(self):
        for level in ("WARN", "ERROR", "FATAL"):
            with self.subTest(level=level):
                with Function(BOOTSTRAP, env={"AWS_LAMBDA_LOG_LEVEL": level}) as fn:
                    self.assertIsNone(fn.invoke(event("batch-drifted.json"))[0])
                    kept = lambda_filter(fn.output(), level)
                metrics = [l for l in kept if "_aws" in l]
                self.assertEqual(len(metrics), 1, kept)
                self.assertEqual(metrics[0]["Records"], 20)
                self.assertIn(metrics[0]["level"], LOG_LEVELS[LOG_LEVELS.index(level):])

    def test_debug_logs_the_event_info_does_not(self):
        secret_ish = "PAYLOAD-MARKER-7f3a"
        ev = json.dumps([{"payload": {"topic": secret_ish, "partition": 0, "offset": 1,
                                      "value": json.loads(event("record-bare.json"))}}])
        with Function(BOOTSTRAP) as fn:
            fn.invoke(ev)
            self.assertNotIn(secret_ish, "\n".join(
                json.dumps(l) for l in fn.log_lines() if "message" in l and l.get("level") != "DEBUG"))
        with Function(BOOTSTRAP, env={"AWS_LAMBDA_LOG_LEVEL": "DEBUG"}) as fn:
            fn.invoke(ev)
            self.assertIn(secret_ish, fn.output())


if __name__ == "__main__":
    run_unittests(globals())
