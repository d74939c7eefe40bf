#!/usr/bin/env python3
"""A local AWS Lambda Runtime API emulator (test double), standard library only.

Serves, on one loopback port:
  * the Runtime API a custom runtime talks to (/2018-06-01/runtime/...), with the
    real headers, status codes and error bodies, and
  * the Invoke API of AWS's Runtime Interface Emulator / `sam local start-lambda`:
    POST /2015-03-31/functions/<name>/invocations

It starts the runtime (the command after `--`) with AWS_LAMBDA_RUNTIME_API
pointing at itself, restarts it on the next invoke if it exited (as Lambda
re-initialises a sandbox), and relays its output to stderr.

  rapi_emulator.py [--port 9001] [--port-file F] [--event FILE] -- build/bootstrap

With --event the file is invoked once, the function's response is printed on
stdout and the emulator exits (0: success, 1: function error).  Without it, it
serves until SIGTERM/SIGINT.

What it models, and the document each behaviour follows:
  * GET /invocation/next blocks until an invoke, then answers 200 with the
    event and Lambda-Runtime-Aws-Request-Id, -Deadline-Ms, -Invoked-Function-Arn,
    -Trace-Id (and -Client-Context when the invoke carried one): the Lambda
    developer guide, "Using the Lambda runtime API", Next invocation.
  * POST /invocation/{id}/response and /error answer 202 {"status":"OK"}; an id
    that was never delivered gets 400 InvalidRequestID; ids are matched after
    percent-decoding the path segment (RFC 3986 2.1): the Runtime API's
    OpenAPI description (runtime-api.zip, 2018-06-01: 202, 400, 403, 413, 500).
  * A response body over --max-response-bytes (6291556, Lambda's synchronous
    response quota) gets 413, and the invocation is failed by the emulator
    itself with Function.ResponseSizeTooLarge and Lambda's message "Response
    payload size exceeded maximum allowed payload size (6291556 bytes).", as
    Lambda returns it to the caller.  A later /response or /error for a
    finished invocation gets 403 (what Lambda answers to an /error after a 413,
    brefphp/bref pull request 1483).
  * Errors are expected as application/vnd.aws.lambda.error+json with the type
    in Lambda-Runtime-Function-Error-Type (the OpenAPI description's note on
    error reporting); the emulator records both for the tests.
  * POST /init/error answers 202; the error is served to the first invoke and
    the runtime is expected to exit (OpenAPI description, /runtime/init/error).

Lambda Managed Instances (when AWS_LAMBDA_MAX_CONCURRENCY=N is in the
emulator's environment, as AWS's emulator v1.30 does; passed on to the
runtime):
  * up to N GET /next wait at once, each an idle runtime worker ("Lambda
    Managed Instances ... can accept concurrent /next and /response requests
    up to the configured AWS_LAMBDA_MAX_CONCURRENCY limit": the Lambda
    developer guide, "Using the Lambda runtime API"); one more gets 500
    {"errorType":"InternalServerError"} (what AWS's emulator answers a /next
    it cannot queue: rapi/handler/invocationnext.go).
  * an invoke is given to an idle worker; one that finds none is refused at
    once: 400, Error-Type: Runtime.Unavailable, body
    {"errorType":"Runtime.Unavailable"} (AWS's emulator in this mode:
    invoke/invoke_router.go "no idle runtimes", checked by hand).
  * init is complete at the first GET /next ("Understanding the Lambda
    Managed Instances execution environment": at least one runtime worker
    has called /runtime/invocation/next); invokes before it wait for it.
  * a /response over the size limit is answered 413 as soon as the limit is
    passed, with Connection: close, and the connection is closed without
    reading the rest (AWS's emulator reads at most the limit plus one byte,
    aws-lambda-rie/internal/invoke/responder.go; Go's net/http server then
    answers, shuts its side and closes 500 ms later: server.go,
    closeWriteAndWait).  --early-413 does the same in classic mode.
  * a /response or /error is acknowledged (202) only once its invoker has
    been answered (AWS's emulator v1.30, invoke/running_invoke.go:
    RuntimeResponse returns once the response was sent to the invoker), so
    a worker that polls /next only after the acknowledgement is not idle
    when its invoker sends the next invoke.  --ack-delay-ms holds each
    acknowledgement that much longer, to show that window in a test.

Checks for the tests (recorded in /_emulator/state "violations", answered
as Lambda would): a /response or /error must name an id that was handed out
on that same connection and not yet answered.

Test hooks (not part of AWS's API), under /_emulator/:
  GET  /_emulator/state   JSON: process pid/exit code, init errors, invocations,
                          count and times of GET /next, every Runtime API request
                          (method, raw path, content type, error type), the most
                          /next waiting at once, refused invokes, violations
  POST /_emulator/fault   {"path":"next"|"response"|"error","status":500,"count":1}
                          the next `count` requests to that endpoint get `status`
  POST /_emulator/hostile {"requestId": "...", "headers": {"Name": "value"},
                          "rawLines": ["raw header line", ...]}
                          the next delivered invocation gets this request id,
                          these header values (added or replacing Lambda's; a
                          value of null removes the header) and these raw
                          lines written verbatim after the other headers:
                          a hostile Runtime API for the client's tests
"""
import argparse
import http.server
import json
import os
import queue
import signal
import socket
import socketserver
import sys
import threading
import time
import urllib.parse

from rapi_state import Emulator

API = "/2018-06-01/runtime"
MAX_RESPONSE = 6 * 1024 * 1024 + 100  # Lambda's sync response limit, 6291556 bytes
ERROR_CONTENT_TYPE = "application/vnd.aws.lambda.error+json"


def make_handler(emu):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "rapi-emulator"
        # One write per response and no Nagle delay: otherwise headers and
        # body go out separately and a delayed ACK stalls each call ~40 ms.
        wbufsize = 65536
        disable_nagle_algorithm = True

        def setup(self):
            super().setup()
            self.handed = set()  # ids delivered on this connection, not yet answered

        def log_message(self, fmt, *a):
            if emu.args.verbose:
                sys.stderr.write("rapi-emulator: " + (fmt % a) + "\n")

        def peer_closed(self):
            """True when the client closed this connection (a GET /next it gave up)."""
            try:
                self.connection.setblocking(False)
                try:
                    return self.connection.recv(1, socket.MSG_PEEK) == b""
                finally:
                    self.connection.setblocking(True)
            except (BlockingIOError, InterruptedError):
                return False
            except OSError:
                return True

        def body(self, limit=None):
            # A body of unknown length comes chunked (RFC 9112 section 7.1).
            # Lambda's Runtime API reads a /response body as a stream to
            # its end and applies the size limit to what it read (the
            # handler in aws-lambda-runtime-interface-emulator,
            # lambda/rapi/handler/invocationresponse.go, hands request.Body
            # on; Go's net/http undoes the chunking).  With a limit (early
            # 413) reading stops at limit + 1 bytes, the rest left unread.
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return self.chunked_body(limit)
            n = int(self.headers.get("Content-Length") or 0)
            if limit is not None:
                n = min(n, limit + 1)
            return self.rfile.read(n) if n else b""

        def chunked_body(self, limit=None):
            parts = []
            total = 0
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";", 1)[0].strip(), 16)  # chunk extensions ignored
                if size == 0:
                    break
                if limit is not None and total + size > limit:
                    parts.append(self.rfile.read(limit + 1 - total))
                    return b"".join(parts)  # the rest stays unread
                parts.append(self.rfile.read(size))
                total += size
                if self.rfile.read(2) != b"\r\n":
                    raise ValueError("chunk of %d bytes not followed by CRLF" % size)
            while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # trailer fields
            return b"".join(parts)

        def close_after_early_answer(self):
            """Go's net/http after answering a request whose body it left
            unread: its side shut at once, the socket closed 500 ms later
            (server.go, closeWriteAndWait and rstAvoidanceDelay)."""
            self.wfile.flush()
            try:
                self.connection.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            time.sleep(0.5)
            self.close_connection = True

        def reply(self, status, body=b"", headers=None, ctype="application/json", raw_lines=()):
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            for line in raw_lines:  # hostile hook: bytes exactly as given
                self._headers_buffer.append(line.encode("latin-1", "surrogateescape") + b"\r\n")
            self.end_headers()
            self.wfile.write(body)

        def api_error(self, status, etype, msg, close=False):
            self.reply(status, {"errorMessage": msg, "errorType": etype},
                       headers={"Connection": "close"} if close else None)

        def do_GET(self):
            if self.path == API + "/invocation/next":
                emu.record("GET", self.path, self.headers)
                emu.next_times.append(time.monotonic())
                emu.nexts_this_process += 1
                fault = emu.take_fault("next")
                if fault:
                    return self.api_error(fault, "ServiceException",
                                          "injected fault: Runtime API status %d" % fault)
                if emu.max_concurrency is not None:
                    inv = emu.wait_idle(self)
                    if inv is None:
                        return self.reply(500, {"errorMessage": "Internal Server Error",
                                                "errorType": "InternalServerError"})
                else:
                    while True:
                        if emu.stopping:
                            return self.api_error(500, "ServiceException",
                                                  "emulator shutting down")
                        try:
                            inv = emu.pending.get(timeout=0.2)
                            break
                        except queue.Empty:
                            continue
                inv.delivered_at = time.time()
                headers = {
                    "Lambda-Runtime-Aws-Request-Id": inv.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn":
                        "arn:aws:lambda:us-east-1:123456789012:function:" + emu.args.function_name,
                    "Lambda-Runtime-Trace-Id": inv.trace_id,
                }
                if inv.client_context:
                    headers["Lambda-Runtime-Client-Context"] = inv.client_context
                raw = emu.apply_hostile(inv, headers)
                self.handed.add(inv.request_id)
                return self.reply(200, inv.payload, headers, raw_lines=raw)
            if self.path == "/_emulator/state":
                return self.reply(200, emu.state())
            self.api_error(404, "NotFound", "unknown path " + self.path)

        def do_POST(self):
            p = self.path
            if p.startswith("/2015-03-31/functions/") and p.endswith("/invocations"):
                return self.invoke()
            if p == "/_emulator/hostile":
                with emu.lock:
                    emu.hostile = json.loads(self.body() or b"{}")
                return self.reply(200, {"ok": True})
            if p == "/_emulator/fault":
                f = json.loads(self.body() or b"{}")
                with emu.lock:
                    emu.faults[f.get("path", "next")] = [int(f.get("status", 500)),
                                                         int(f.get("count", 1))]
                return self.reply(200, {"ok": True})
            if p.startswith(API + "/"):
                emu.record("POST", p, self.headers)
            if p == API + "/init/error":
                body = self.body()
                etype = self.headers.get("Lambda-Runtime-Function-Error-Type", "Unknown")
                emu.init_errors.append((etype, body))
                return self.reply(202, {"status": "OK"})
            if p.startswith(API + "/invocation/"):
                rest = p[len(API + "/invocation/"):]
                rid, _, kind = rest.rpartition("/")
                early = kind == "response" and emu.early_413
                body = self.body(emu.args.max_response_bytes if early else None)
                if kind not in ("response", "error"):
                    return self.api_error(404, "NotFound", "unknown path " + p)
                rid = urllib.parse.unquote(rid, "latin-1")
                if rid in self.handed:
                    self.handed.discard(rid)
                elif rid in emu.by_id:
                    with emu.lock:
                        emu.violations.append("%s for %s on a connection that did not receive it"
                                              " (or answered twice)" % (kind, rid))
                fault = emu.take_fault(kind)
                if fault:
                    return self.api_error(fault, "ServiceException",
                                          "injected fault: Runtime API status %d" % fault)
                # ids travel as latin-1 header bytes (http.server), so decoded the same way
                inv = emu.by_id.get(rid)
                if inv is None or inv.delivered_at is None:
                    return self.api_error(400, "InvalidRequestID", "Invalid request ID")
                if inv.done.is_set():
                    with emu.lock:
                        emu.violations.append("%s for %s, already answered" % (kind, rid))
                    return self.api_error(403, "InvalidStateTransition",
                                          "State transition from Response/Error is not allowed")
                if kind == "response":
                    limit = emu.args.max_response_bytes
                    if len(body) > limit:
                        inv.error = ("Function.ResponseSizeTooLarge", json.dumps({
                            "errorMessage": "Response payload size exceeded maximum allowed "
                                            "payload size (%d bytes)." % limit,
                            "errorType": "Function.ResponseSizeTooLarge"}).encode())
                        inv.done.set()
                        self.api_error(413, "RequestEntityTooLarge",
                                       "Exceeded maximum allowed payload size (%d bytes)." % limit,
                                       close=early)
                        if early:
                            with emu.lock:
                                emu.early_answers += 1
                            self.close_after_early_answer()
                        return
                    inv.response = body
                    inv.done.set()
                    emu.hold_acknowledgement(inv)
                    return self.reply(202, {"status": "OK"})
                if kind == "error":
                    etype = self.headers.get("Lambda-Runtime-Function-Error-Type", "Unhandled")
                    inv.error = (etype, body)
                    inv.done.set()
                    emu.hold_acknowledgement(inv)
                    return self.reply(202, {"status": "OK"})
            self.api_error(404, "NotFound", "unknown path " + p)

        def invoke(self):
            payload = self.body()
            itype = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
            if itype == "DryRun":
                return self.reply(204)
            if itype == "Event":
                threading.Thread(target=emu.invoke, args=(payload,), daemon=True).start()
                return self.reply(202)
            inv = emu.invoke(payload, self.headers.get("X-Amzn-Trace-Id"),
                             self.headers.get("X-Amz-Client-Context"), sync=True)
            try:
                if inv.refused:
                    return self.reply(400, {"errorType": "Runtime.Unavailable"},
                                      {"Error-Type": "Runtime.Unavailable"})
                rid = {"X-Amzn-RequestId": inv.request_id}
                if inv.error is not None:
                    rid["X-Amz-Function-Error"] = "Unhandled"
                    return self.reply(200, inv.error[1], rid)
                return self.reply(200, inv.response, rid)
            finally:
                inv.answered.set()

    return Handler


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Up to 1,600 workers (Managed Instances' largest concurrency) connect at once.
    request_queue_size = 2048

    def handle_error(self, request, client_address):
        # A runtime killed mid-request (tests do that) is not an emulator error.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=9001, help="port on 127.0.0.1 (0: any free)")
    ap.add_argument("--port-file", help="write the port number here once listening")
    ap.add_argument("--function-name", default="function")
    ap.add_argument("--timeout", type=float, default=30.0, help="function timeout, seconds")
    ap.add_argument("--memory", type=int, default=128)
    ap.add_argument("--max-response-bytes", type=int, default=MAX_RESPONSE)
    ap.add_argument("--early-413", action="store_true",
                    help="answer 413 as soon as a response passes the limit, and close "
                         "(always so in Managed Instances mode)")
    ap.add_argument("--ack-delay-ms", type=int, default=0,
                    help="Managed Instances mode: hold each acknowledgement of a /response "
                         "or /error this much longer after its invoker was answered")
    ap.add_argument("--event", help="invoke once with this file, print the response, exit")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("command", nargs=argparse.REMAINDER, help="-- the runtime to start")
    args = ap.parse_args()
    if args.command and args.command[0] == "--":
        args.command = args.command[1:]

    if args.command and not (os.path.isfile(args.command[0]) and os.access(args.command[0], os.X_OK)):
        ap.error("runtime %s is not an executable file (build it first: make)" % args.command[0])
    if args.event and not os.path.isfile(args.event):
        ap.error("event file %s does not exist" % args.event)
    emu = Emulator(args)
    srv = Server(("127.0.0.1", args.port), make_handler(emu))
    emu.port = srv.server_address[1]
    # The runtime starts before anyone learns the port: otherwise a first
    # invoke can find no runtime and start a second one.
    emu.start_runtime()
    threading.Thread(target=srv.serve_forever, daemon=True).start()

    def shutdown(*_):
        emu.stopping = True
        emu.stopped.set()
        emu.stop_runtime()
        srv.shutdown()
        sys.exit(0)

    # Handlers and the line before the port file, whose reader may send SIGTERM at once.
    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    sys.stderr.write("rapi-emulator: listening on 127.0.0.1:%d\n" % emu.port)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % emu.port)
        os.replace(tmp, args.port_file)

    if args.event:
        with open(args.event, "rb") as f:
            payload = f.read()
        inv = emu.invoke(payload)
        out = inv.error[1] if inv.error else inv.response
        sys.stdout.buffer.write(out + b"\n")
        sys.stdout.flush()
        emu.stopping = True
        emu.stopped.set()
        emu.stop_runtime()
        srv.shutdown()
        sys.exit(1 if inv.error else 0)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
