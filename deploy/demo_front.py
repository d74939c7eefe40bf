"""demo_front.py: one Invoke API endpoint in front of execution environments,
for `make demo TASKS=N` and the fleet tests.

Classic Lambda gives each execution environment one invocation at a time:
"If the function is invoked again while a request is still being processed,
another instance is allocated, which increases the function's concurrency"
(Lambda developer guide, "Managing concurrency for a Lambda function");
Managed Instances give one AWS_LAMBDA_MAX_CONCURRENCY at once (slots).  The
connector knows one function; which environment answers is Lambda's choice,
so the front hands each invocation to the first environment with a free
slot.  When none has one it waits (wait=True, the demo) or answers 500
(wait=False: a test that more invocations were in flight than it allowed).

gather=N (tests only) holds the first invocations until N are in flight
at once, then lets them all go, once: parallel tasks then overlap by
construction, not by the luck of the scheduler, and a connector that
invoked one at a time leaves the first alone for gather_timeout seconds
(max_inflight stays 1).
"""
import http.client
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FORWARDED = ("content-type", "x-amz-function-error", "x-amzn-requestid")


class LambdaFront:
    """Invoke API at self.url, forwarding to the environments at urls (each a
    Runtime API emulator's base URL).  Keeps, for checks: served (invocations
    each environment answered), log ((environment, partitions, offsets) per
    invocation, in start order) and max_inflight.  close() stops it."""

    def __init__(self, urls, slots=1, wait=True, timeout=120.0, gather=0, gather_timeout=10.0):
        self.urls = list(urls)
        self.gather = gather
        self.gather_timeout = gather_timeout
        self.slots = slots
        self.wait = wait
        self.timeout = timeout
        self.busy = [0] * len(self.urls)
        self.served = [0] * len(self.urls)
        self.log = []
        self.inflight = 0
        self.max_inflight = 0
        self.cond = threading.Condition()
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, headers, data = front.forward(self.path, body)
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]

    def _take(self, body):
        """An environment with a free slot, taken; None when all are busy and
        the front does not wait."""
        with self.cond:
            while all(b >= self.slots for b in self.busy):
                if not self.wait:
                    return None
                self.cond.wait()
            i = next(i for i, b in enumerate(self.busy) if b < self.slots)
            self.busy[i] += 1
            self.served[i] += 1
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)
            try:
                batch = [e["payload"] for e in json.loads(body)]
                self.log.append((i, {p["partition"] for p in batch}, [p["offset"] for p in batch]))
            except (ValueError, KeyError, TypeError):
                self.log.append((i, set(), []))
            return i

    def _gather(self):
        """Holds the caller until gather invocations are in flight (once)."""
        with self.cond:
            if self.gather and self.cond.wait_for(lambda: self.inflight >= self.gather,
                                                  self.gather_timeout):
                self.gather = 0
                self.cond.notify_all()

    def _give_back(self, i):
        with self.cond:
            self.busy[i] -= 1
            self.inflight -= 1
            self.cond.notify_all()

    def forward(self, path, body):
        """(status, headers, body) of the invocation, answered by an environment."""
        i = self._take(body)
        if i is None:
            return 500, [("Content-Type", "application/json")], json.dumps(
                {"message": "more invocations in flight than environments"}).encode()
        try:
            self._gather()
            u = urllib.parse.urlsplit(self.urls[i])
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=self.timeout)
            conn.request("POST", path, body, {"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            keep = [(k, v) for k, v in r.getheaders() if k.lower() in FORWARDED]
            conn.close()
            return r.status, keep, data
        finally:
            self._give_back(i)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
