#!/usr/bin/env python3
"""The example handler of runtime/README.md (RUNTIME_EXAMPLE, built from the
README by make test-runtime-example) served through the Runtime API emulator."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from rapi_harness import ROOT, Function, run_unittests  # noqa: E402

EXAMPLE = os.path.abspath(os.environ.get("RUNTIME_EXAMPLE",
                                         os.path.join(ROOT, "build", "asan", "runtime-example")))


class ReadmeExample(unittest.TestCase):
    def test_example_answers_the_event_size_and_the_time_left(self):
        with Function(EXAMPLE, emulator_args=["--timeout", "30"]) as fn:
            ferr, out = fn.invoke(b'{"hello":"world"}')
        self.assertIsNone(ferr, out)
        self.assertEqual(out["bytes"], 17)
        self.assertTrue(0 < out["remainingMs"] <= 30000, out)

    def test_example_failure_reaches_the_caller_as_a_function_error(self):
        with Function(EXAMPLE) as fn:
            ferr, out = fn.invoke(b"")
            requests = fn.runtime_requests()
        self.assertEqual(ferr, "Unhandled")
        self.assertEqual(out, {"errorMessage": "the event is empty: send a JSON document",
                               "errorType": "EmptyEvent", "stackTrace": []})
        errors = [r for r in requests if r["path"].endswith("/error")]
        self.assertEqual(errors[0]["contentType"], "application/vnd.aws.lambda.error+json")


if __name__ == "__main__":
    run_unittests(globals())
