"""Shared pieces of the SNS tests: distinctive fake credentials, a local SNS
(tests/doubles/sns_local.py) in a subprocess, and a unittest runner whose closing
line tests/lib/run-suite.sh counts ("NAME: N passed, N failed"; NAME in letters
and hyphens only)."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DOUBLES = os.path.join(os.path.dirname(HERE), "doubles")
PY = "/usr/bin/python3"
REGION = "us-east-1"
ACCOUNT = "123456789012"
TOPIC = "iris-alerts"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:{TOPIC}"

# Fake credentials, distinctive so a leak is easy to spot in any output.
KEY_ID = "AKIDIRISLONGTERM01"
SECRET = "irisFAKEsecret/LongTerm+Key0123456789NEVERLOG"
TEMP_KEY_ID = "ASIAIRISSESSION01"
TEMP_SECRET = "irisFAKEsecret/Session+Key9876543210NEVERLOG"
TOKEN = "irisFAKEsessionTOKEN//AQoDYXdzEPT+NEVERLOG/zz=="
SECRETS = (SECRET, TEMP_SECRET, TOKEN)


def find_leaks(text):
    """The secrets (or a 12-character piece of one) found in text."""
    found = []
    for s in SECRETS:
        pieces = {s[i:i + 12] for i in range(0, len(s) - 11, 6)}
        if any(p in text for p in pieces):
            found.append(s[:8] + "...")
    return found


class LocalSns:
    """tests/doubles/sns_local.py on a free loopback port; stop() ends it."""

    def __init__(self, extra_args=()):
        self.dir = tempfile.mkdtemp(prefix="sns-local-")
        port_file = os.path.join(self.dir, "port")
        self.log = open(os.path.join(self.dir, "sns_local.log"), "w+")
        creds = f"{KEY_ID}:{SECRET},{TEMP_KEY_ID}:{TEMP_SECRET}:{TOKEN}"
        self.proc = subprocess.Popen(
            [PY, os.path.join(DOUBLES, "sns_local.py"), "--port", "0", "--port-file", port_file,
             "--region", REGION, "--account", ACCOUNT, "--topic", TOPIC, *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT,
            env=dict(os.environ, SNS_LOCAL_CREDENTIALS=creds))
        deadline = time.time() + 10
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError("sns_local.py did not start: " + self.output())
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read())
        self.url = f"http://127.0.0.1:{self.port}"

    def call(self, method, path, obj=None):
        data = json.dumps(obj).encode() if obj is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def published(self):
        return self.call("GET", "/_local/published")

    def requests(self, action="Publish"):
        return [r for r in self.call("GET", "/_local/requests") if r["action"] == action]

    def fault(self, **kw):
        return self.call("POST", "/_local/faults", kw)

    def reset(self):
        self.call("POST", "/_local/reset", {})

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def run(name, *cases):
    suite = unittest.TestSuite()
    for c in cases:
        suite.addTests(unittest.defaultTestLoader.loadTestsFromTestCase(c))
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"{name}: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1
