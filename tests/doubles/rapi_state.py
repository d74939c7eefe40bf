"""rapi_state.py: what the Runtime API emulator (rapi_emulator.py) keeps
between requests: the runtime process it starts and restarts, the
invocations (queued for the classic loop, or handed to idle workers in
Managed Instances mode), the faults and hostile answers the tests ask for,
and the state /_emulator/state reports.  rapi_emulator.py's docstring says
which document each behaviour follows; the HTTP side is there too.
"""
import collections
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid


class Invocation:
    def __init__(self, payload, timeout_s, trace_id=None, client_context=None):
        self.request_id = str(uuid.uuid4())
        self.payload = payload
        self.deadline_ms = int((time.time() + timeout_s) * 1000)
        self.trace_id = trace_id or "Root=1-%08x-%s;Parent=%s;Sampled=0" % (
            int(time.time()), uuid.uuid4().hex[:24], uuid.uuid4().hex[:16])
        self.client_context = client_context
        self.done = threading.Event()
        self.response = None        # bytes
        self.error = None           # (type, body bytes)
        self.delivered_at = None
        self.refused = False        # Managed Instances: no idle worker
        self.sync = False           # an invoker waits for the answer
        self.answered = threading.Event()  # that invoker has been answered


class IdleWorker:
    """A GET /next waiting for an invocation (Managed Instances mode)."""

    def __init__(self):
        self.inv = None
        self.ready = threading.Event()


class Emulator:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.pending = queue.Queue()
        self.by_id = {}
        self.next_times = []        # monotonic times of GET /next
        self.nexts_this_process = 0  # init is complete at the runtime's first
        self.init_errors = []
        self.faults = {}            # path -> [status, count]
        self.proc = None
        self.proc_started = None
        self.exit_code = None
        self.exits = []
        self.log = []               # per invocation summary
        self.stopping = False
        self.stopped = threading.Event()  # set with stopping, for waits to end early
        self.port = None
        self.init_errors_before = 0
        self.hostile = None         # overrides for the next delivered invocation
        self.requests = []          # every Runtime API request, for the tests
        # Managed Instances mode; a value that is not a count is passed on to
        # the runtime as it is (for its own check) and leaves this mode off.
        env_n = os.environ.get("AWS_LAMBDA_MAX_CONCURRENCY", "")
        self.max_concurrency = int(env_n) if env_n.isdigit() and int(env_n) > 0 else None
        self.idle = collections.deque()  # IdleWorker, Managed Instances mode
        self.max_idle = 0           # the most GET /next waiting at once
        self.refused = 0
        self.violations = []        # answers on the wrong connection, twice, ...
        self.early_413 = args.early_413 or self.max_concurrency is not None
        self.early_answers = 0      # 413s sent before the body was read whole

    # --- runtime process -------------------------------------------------
    def start_runtime(self):
        if not self.args.command:
            return
        env = dict(os.environ)
        env.update({
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % self.port,
            "AWS_LAMBDA_FUNCTION_NAME": self.args.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.args.memory),
            "_HANDLER": "bootstrap",
        })
        env.setdefault("AWS_REGION", "us-east-1")
        self.init_errors_before = len(self.init_errors)
        self.nexts_this_process = 0
        self.proc_started = time.monotonic()
        self.proc = subprocess.Popen(self.args.command, env=env, stdin=subprocess.DEVNULL,
                                     stdout=sys.stderr, stderr=sys.stderr)
        self.exit_code = None
        threading.Thread(target=self._reap, args=(self.proc,), daemon=True).start()

    def _reap(self, proc):
        code = proc.wait()
        with self.lock:
            if proc is self.proc:
                self.exit_code = code
                self.exits.append(code)
        # fail the invocation in flight, if any: the runtime died under it
        for inv in list(self.by_id.values()):
            if inv.delivered_at is not None and not inv.done.is_set():
                inv.error = ("Runtime.ExitError", json.dumps({
                    "errorMessage": "Runtime exited with error: exit status %d" % code,
                    "errorType": "Runtime.ExitError"}).encode())
                inv.done.set()

    def runtime_alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop_runtime(self, grace=3.0):
        p = self.proc
        if p is None or p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    # --- invoke ------------------------------------------------------------
    def invoke(self, payload, trace_id=None, client_context=None, sync=False):
        if self.args.command and not self.runtime_alive():
            self.start_runtime()
        inv = Invocation(payload, self.args.timeout, trace_id, client_context)
        inv.sync = sync
        with self.lock:
            self.by_id[inv.request_id] = inv
        if self.max_concurrency is not None:
            if not self.dispatch(inv):
                return inv
        else:
            self.pending.put(inv)
        deadline = time.time() + self.args.timeout + 1
        while not inv.done.wait(0.05):
            if self.init_errors[self.init_errors_before:]:
                t, body = self.init_errors[-1]
                inv.error = (t, body)
                break
            if time.time() > deadline:
                inv.error = ("Sandbox.Timedout", json.dumps({
                    "errorMessage": "Task timed out after %.2f seconds" % self.args.timeout,
                    "errorType": "Sandbox.Timedout"}).encode())
                break
        with self.lock:
            self.log.append({
                "requestId": inv.request_id, "traceId": inv.trace_id,
                "ok": inv.error is None,
                "errorType": inv.error[0] if inv.error else None,
            })
        return inv

    def dispatch(self, inv):
        """Managed Instances: gives inv to an idle worker once init is
        complete (the first GET /next); False (inv refused) when none is idle."""
        deadline = time.time() + self.args.timeout
        while not self.nexts_this_process and time.time() < deadline:
            if self.init_errors[self.init_errors_before:]:
                inv.error = self.init_errors[-1]
                return False
            time.sleep(0.01)
        with self.lock:
            worker = self.idle.popleft() if self.idle else None
            if worker is None:
                self.refused += 1
                self.by_id.pop(inv.request_id, None)
                inv.refused = True
                self.log.append({"requestId": inv.request_id, "traceId": inv.trace_id,
                                 "ok": False, "errorType": "Runtime.Unavailable"})
                return False
            worker.inv = inv
        worker.ready.set()
        return True

    def hold_acknowledgement(self, inv):
        """Managed Instances: the runtime's answer is acknowledged once its
        invoker has been answered, and --ack-delay-ms later."""
        if self.max_concurrency is None:
            return
        deadline = time.monotonic() + self.args.timeout
        while inv.sync and not inv.answered.wait(0.2):
            if self.stopping or time.monotonic() >= deadline:
                break
        # Shutting down, the platform holds nothing back from a runtime it
        # has sent SIGTERM: it acknowledges at once, so the runtime's drain
        # ends (and it exits with its own status, sanitizer reports and all).
        if self.args.ack_delay_ms > 0:
            self.stopped.wait(self.args.ack_delay_ms / 1000.0)

    def wait_idle(self, handler):
        """Managed Instances: a GET /next waits as an idle worker.  Returns
        its invocation, or None (the runtime went away, or too many /next)."""
        worker = IdleWorker()
        with self.lock:
            if len(self.idle) >= self.max_concurrency:
                self.violations.append("GET /next beyond AWS_LAMBDA_MAX_CONCURRENCY=%d"
                                       % self.max_concurrency)
                return None
            self.idle.append(worker)
            self.max_idle = max(self.max_idle, len(self.idle))
        while not worker.ready.wait(0.2):
            if self.stopping or handler.peer_closed():
                with self.lock:
                    if worker in self.idle:
                        self.idle.remove(worker)
                        return None
        return worker.inv

    def take_fault(self, path):
        with self.lock:
            f = self.faults.get(path)
            if f and f[1] > 0:
                f[1] -= 1
                return f[0]
        return None

    def state(self):
        with self.lock:
            return {
                "pid": self.proc.pid if self.proc else None,
                "alive": self.runtime_alive(),
                "exitCode": self.exit_code,
                "exits": list(self.exits),
                "initErrors": [{"errorType": t, "body": b.decode("utf-8", "replace")}
                               for t, b in self.init_errors],
                "nextCount": len(self.next_times),
                "inFlight": sum(1 for i in self.by_id.values()
                                if i.delivered_at is not None and not i.done.is_set()),
                "firstNextAfterStartMs": ((self.next_times[0] - self.proc_started) * 1000
                                          if self.next_times and self.proc_started else None),
                "invocations": list(self.log),
                "requests": list(self.requests),
                "maxConcurrency": self.max_concurrency,
                "idle": len(self.idle),
                "maxIdle": self.max_idle,
                "refused": self.refused,
                "violations": list(self.violations),
                "earlyAnswers": self.early_answers,
            }

    def record(self, method, path, headers):
        with self.lock:
            if len(self.requests) < 10000:
                self.requests.append({
                    "method": method, "path": path,
                    "contentType": headers.get("Content-Type"),
                    "errorType": headers.get("Lambda-Runtime-Function-Error-Type")})

    def apply_hostile(self, inv, headers):
        """Applies the pending hostile overrides to a delivered invocation.
        Returns the raw header lines to write after the others."""
        with self.lock:
            h, self.hostile = self.hostile, None
        if not h:
            return []
        if "requestId" in h:
            with self.lock:
                self.by_id.pop(inv.request_id, None)
                inv.request_id = h["requestId"]
                self.by_id[inv.request_id] = inv
            headers["Lambda-Runtime-Aws-Request-Id"] = inv.request_id
        for k, v in (h.get("headers") or {}).items():
            if v is None:
                headers.pop(k, None)
            else:
                headers[k] = v
        return list(h.get("rawLines") or [])
