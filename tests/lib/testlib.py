"""tests/lib/testlib.py: what every Python test suite shares: one check(),
the runners that print the closing line tests/lib/run-suite.sh counts
("[NAME: ]N passed, N failed"), main() for a script of test_* functions,
and the process helpers of deploy/procs.py
(start, wait for a port file, stop with SIGTERM then SIGKILL)."""
import os
import shutil
import subprocess
import threading
import sys
import time
import traceback
import unittest
from http.server import ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
DOUBLES = os.path.join(ROOT, "tests", "doubles")
PY = "/usr/bin/python3"
sys.path.insert(0, os.path.join(ROOT, "deploy"))
from procs import ProcError, read_log, start, stop, wait_file  # noqa: E402,F401

_results = []  # one bool per check() since the start (or the last reset)


def serve_http(handler):
    """Serves handler (a BaseHTTPRequestHandler class) on a free port of
    127.0.0.1 from a daemon thread: (the server, its URL).  Stop it with
    server.shutdown()."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d" % server.server_address[1]


class TempProcess:
    """A double run as a process (self.proc) with its own temporary folder
    (self.dir) and log file (self.log): stop() ends it and removes the folder;
    a with block stops it on the way out."""

    def stop(self):
        stop(self.proc, 10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class TestFailure(AssertionError):
    """Raised by require(): ends the current test function."""


def kcat_produce(brokers, topic, partitions):
    """Produces partitions[p] (lines of text) to partition p of topic with
    kcat, every partition at once, as a stream of several producers arrives
    (one after another, a consumer of the last would wait on the first)."""
    procs = []
    for p, lines in enumerate(partitions):
        proc = subprocess.Popen(["kcat", "-P", "-b", brokers, "-t", topic, "-p", str(p)],
                                stdin=subprocess.PIPE, text=True)
        proc.stdin.write("\n".join(lines) + "\n")
        proc.stdin.close()
        procs.append(proc)
    for p, proc in enumerate(procs):
        if proc.wait(timeout=60) != 0:
            raise RuntimeError(f"kcat could not produce partition {p} of {topic}")


def check(name, ok, expected=None, got=None):
    """Records one assertion and prints "ok - name", or "FAIL - name" with
    what it expected and what it got.  Returns ok, so a test may stop early."""
    ok = bool(ok)
    _results.append(ok)
    if ok:
        print(f"ok - {name}", flush=True)
    else:
        print(f"FAIL - {name}\n    expected: {expected!r}\n    got:      {got!r}", flush=True)
    return ok


def require(name, ok, expected=None, got=None):
    """check(), and on failure end the current test (TestFailure)."""
    if not check(name, ok, expected, got):
        raise TestFailure(name if expected is None and got is None
                          else f"{name}: expected {expected!r}, got {got!r}")


def finish(name=None):
    """Prints the closing line for the check()s so far; returns the exit status."""
    passed = sum(_results)
    failed = len(_results) - passed
    print(f"{name + ': ' if name else ''}{passed} passed, {failed} failed", flush=True)
    return 1 if failed or not passed else 0


def run_functions(tests, cleanup=None):
    """Runs (name, function) pairs, each a test that uses check()/require();
    one fails if any of its checks failed or it raised.  cleanup() runs after
    each.  TEST_ONLY=<substring> selects tests.  Prints PASS/FAIL per test and
    the closing line; returns the exit status."""
    passed = failed = 0
    only = os.environ.get("TEST_ONLY")
    for name, fn in tests:
        if only and only not in name:
            continue
        start_t, before = time.monotonic(), len(_results)
        try:
            fn()
            ok = all(_results[before:])
            err = None
        except Exception as e:  # a failing test must not stop the others
            ok, err = False, e
        finally:
            if cleanup:
                cleanup()
        if ok:
            passed += 1
            print(f"PASS {name} ({time.monotonic() - start_t:.1f} s)", flush=True)
        else:
            failed += 1
            print(f"FAIL {name}{': ' + str(err) if err else ''}", flush=True)
            if err is not None and not isinstance(err, TestFailure):
                traceback.print_exception(type(err), err, err.__traceback__)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed or not passed else 0


def main(module_globals, cleanup=None, cwd=None):
    """The whole __main__ of a script of test functions: runs every callable
    test_* of module_globals (pass globals()) in the order the script defines
    them, through run_functions (cleanup() after each; TEST_ONLY), from the
    folder cwd when given, and exits with the run's status."""
    tests = [(name, fn) for name, fn in module_globals.items()
             if name.startswith("test_") and callable(fn)]
    if cwd is not None:
        os.chdir(cwd)
    sys.exit(run_functions(tests, cleanup))


def run_unittest(name, *cases, module=None):
    """Runs unittest TestCase classes (or every case in module) verbosely and
    prints "NAME: N passed, N failed" (NAME in letters and hyphens); returns
    the exit status."""
    loader = unittest.defaultTestLoader
    suite = unittest.TestSuite()
    if module is not None:
        suite.addTests(loader.loadTestsFromModule(module))
    for c in cases:
        suite.addTests(loader.loadTestsFromTestCase(c))
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"{name}: {passed} passed, {failed} failed", flush=True)
    return 1 if failed or not passed else 0
