"""Shared test harness: runs a runtime (build/bootstrap) under
tests/doubles/rapi_emulator.py over real HTTP on 127.0.0.1 and drives the Invoke API.
Standard library only."""
import calendar
import json
import os
import re
import sys
import tempfile
import time
import urllib.request

from testlib import DOUBLES, PY, ROOT, read_log, run_unittest, start, stop, wait_file  # noqa: F401

# Hang detectors, not speed checks (CI runs on 2 loaded cores, sanitizers on):
# the emulator's readiness, and Function.wait_for's default.
READY_TIMEOUT = 30.0
WAIT_TIMEOUT = 30.0


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
        self.proc = start(cmd, self.log_path, env=full_env, exact_env=True)
        try:
            # A hang detector, not a speed check: a loaded machine can take
            # seconds to start Python; a process that exits fails at once.
            self.port = int(wait_file(self.port_file, self.proc, "the Runtime API emulator",
                                      READY_TIMEOUT))
        except RuntimeError as e:
            self.close()
            raise RuntimeError(f"{e}:\n{self.output()}") from None
        self.base = "http://127.0.0.1:%d" % self.port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        stop(self.proc, 10)

    def output(self):
        return read_log(self.log_path)

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

    def wait_for(self, pred, timeout=WAIT_TIMEOUT, what="condition"):
        """The emulator's state once pred(state) holds.  timeout only detects
        a hang (generous: a loaded machine stalls for seconds); an emulator
        that exited fails at once."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("the Runtime API emulator exited (%s) while waiting for "
                                     "%s\noutput:\n%s" % (self.proc.returncode, what,
                                                           self.output()[-3000:]))
            st = self.state()
            if pred(st):
                return st
            time.sleep(0.02)
        raise AssertionError("timed out after %.0f s waiting for %s; state %s\noutput:\n%s"
                             % (timeout, what, self.state(), self.output()[-3000:]))


LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
# RFC 3339 section 5.6 date-time ("T" and "Z" in either case, section 5.6's note).
_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
                      r"([Zz]|[+-](\d{2}):(\d{2}))\Z")


def rfc3339_valid(s):
    """True when s is an RFC 3339 date-time, its fields in range (section 5.7:
    days of the month, leap years, second 60 for a leap second)."""
    m = _RFC3339.match(s) if isinstance(s, str) else None
    if not m:
        return False
    y, mo, d, h, mi, sec = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= mo <= 12 and 1 <= d <= calendar.monthrange(y or 2000, mo)[1]
            and h <= 23 and mi <= 59 and sec <= 60):
        return False
    return m.group(9) is None or (int(m.group(9)) <= 23 and int(m.group(10)) <= 59)


def lambda_log_level(obj):
    """The level Lambda's log-level filter gives a JSON log line (Lambda
    developer guide, "Log-level filtering"): its "level" (any case) when that
    is a valid level and the line carries a valid RFC 3339 "timestamp";
    INFO otherwise (an invalid or missing level, or timestamp)."""
    level = str(obj.get("level", "")).upper()
    if level not in LOG_LEVELS or not rfc3339_valid(obj.get("timestamp")):
        return "INFO"
    return level


def lambda_filter(text, configured):
    """The JSON object lines of text that Lambda keeps at application log
    level `configured` (JSON log format)."""
    kept = []
    for line in text.splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            continue  # not a JSON line (sanitizer output would be text)
        if isinstance(obj, dict) and \
                LOG_LEVELS.index(lambda_log_level(obj)) >= LOG_LEVELS.index(configured):
            kept.append(obj)
    return kept


def event(name):
    with open(os.path.join(ROOT, "events", name), "rb") as f:
        return f.read()


def run_unittests(module_globals):
    """Runs the calling module's unittest cases (testlib.run_unittest) and
    exits; the closing line is named after the module's file."""
    name = os.path.basename(module_globals["__file__"]).rsplit(".", 1)[0].replace("_", "-")
    sys.exit(run_unittest(name, module=sys.modules[module_globals["__name__"]]))
