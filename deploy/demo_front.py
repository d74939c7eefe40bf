"""demo_front.py: one Invoke API endpoint in front of several classic
execution environments, for `make demo TASKS=N`.

Classic Lambda gives each execution environment one invocation at a time:
"If the function is invoked again while a request is still being processed,
another instance is allocated, which increases the function's concurrency"
(Lambda developer guide, "Managing concurrency for a Lambda function").  The
connector knows one function; which environment answers is Lambda's choice,
so the front hands each invocation to an idle one (the first idle, in order)
and waits for a free one when all are busy.
"""
import http.client
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FORWARDED = ("content-type", "x-amz-function-error", "x-amzn-requestid")


class LambdaFront:
    """Invoke API at self.url, forwarding to the environments at urls (each a
    Runtime API emulator's base URL).  close() stops it."""

    def __init__(self, urls, timeout=120.0):
        self.urls = list(urls)
        self.busy = [False] * len(self.urls)
        self.cond = threading.Condition()
        self.timeout = timeout
        self.served = [0] * len(self.urls)
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

    def _take(self):
        with self.cond:
            while all(self.busy):
                self.cond.wait()
            i = self.busy.index(False)
            self.busy[i] = True
            self.served[i] += 1
            return i

    def _give_back(self, i):
        with self.cond:
            self.busy[i] = False
            self.cond.notify()

    def forward(self, path, body):
        """(status, headers, body) of the invocation, answered by an idle environment."""
        i = self._take()
        try:
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
