"""Shared test harness: runs a runtime (build/bootstrap) under
tests/doubles/rapi_emulator.py over real HTTP on 127.0.0.1 and drives the Invoke API.
Standard library only."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DOUBLES = os.path.join(ROOT, "tests", "doubles")
PY = "/usr/bin/python3"


class Function:
    """An emulator process with the runtime under test.  Use as a context
    manager; output (emulator + runtime logs) is captured in self.output()."""

    def __init__(self, bootstrap, env=None, emulator_args=(), start_runtime=True):
        self.tmp = tempfile.mkdtemp(prefix="rapi-test-")
        self.port_file = os.path.join(self.tmp, "port")
        self.log_path = os.path.join(self.tmp, "out.log")
        full_env = dict(os.environ)
        full_env.pop("AWS_LAMBDA_LOG_LEVEL", None)
        full_env.setdefault("MODEL_PATH", os.path.join(ROOT, "model", "iris-model.json"))
        full_env.setdefault("ALERT_MODE", "off")
        full_env.update(env or {})
        cmd = [PY, os.path.join(DOUBLES, "rapi_emulator.py"), "--port", "0",
               "--port-file", self.port_file, *emulator_args]
        if start_runtime:
            cmd += ["--", bootstrap]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, env=full_env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.time() + 10
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("emulator did not start:\n" + self.output())
            time.sleep(0.01)
        with open(self.port_file) as f:
            self.port = int(f.read())
        self.base = "http://127.0.0.1:%d" % self.port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def output(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_lines(self):
        """The runtime's JSON log lines, parsed."""
        lines = []
        for line in self.output().splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    pass
        return lines

    def request(self, method, path, body=None, headers=None, timeout=60):
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def invoke(self, payload, headers=None, timeout=60):
        """Returns (function_error or None, parsed JSON body)."""
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload).encode()
        elif isinstance(payload, str):
            payload = payload.encode()
        status, hdrs, body = self.request(
            "POST", "/2015-03-31/functions/function/invocations", payload, headers, timeout)
        if status != 200:
            raise AssertionError("Invoke API answered %d: %r" % (status, body[:300]))
        ferr = hdrs.get("X-Amz-Function-Error")
        return ferr, json.loads(body) if body else None

    def state(self):
        status, _, body = self.request("GET", "/_emulator/state")
        return json.loads(body)

    def fault(self, path, status, count=1):
        self.request("POST", "/_emulator/fault",
                     json.dumps({"path": path, "status": status, "count": count}).encode())

    def hostile(self, request_id=None, headers=None, raw_lines=None):
        """The next delivered invocation gets this request id, these header
        values (None removes one) and these raw header lines."""
        h = {"headers": headers or {}, "rawLines": raw_lines or []}
        if request_id is not None:
            h["requestId"] = request_id
        self.request("POST", "/_emulator/hostile", json.dumps(h).encode())

    def runtime_requests(self):
        """Every Runtime API request the runtime made: dicts with method,
        path (raw), contentType and errorType."""
        return self.state()["requests"]

    def wait_for(self, pred, timeout=10.0, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            st = self.state()
            if pred(st):
                return st
            time.sleep(0.02)
        raise AssertionError("timed out waiting for %s; state %s\noutput:\n%s"
                             % (what, self.state(), self.output()[-3000:]))


def event(name):
    with open(os.path.join(ROOT, "events", name), "rb") as f:
        return f.read()


def run_unittests(module_globals):
    """Runs the module's unittest cases; prints 'N passed, N failed'."""
    import unittest
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[module_globals["__name__"]])
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed, failed))
    sys.exit(1 if failed or result.testsRun == 0 else 0)
