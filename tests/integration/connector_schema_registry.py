#!/usr/bin/python3
"""The connector stand-in with input.data.format AVRO, JSON_SR and PROTOBUF:
values the real build/producer wrote in the Schema Registry wire format are
decoded with the writer's schema from the Schema Registry double and handed
to the function as the JSON object of the schema's fields, as the connector
hands them ("AWS Lambda Sink Connector for Confluent Cloud", configuration
reference: input.data.format and record.converter.class, "JsonKeyValueConverter
sends key and value as JSON primitives or objects according to their schema").
The function here is a small fake Invoke API that records each batch; the
expected rows come from the producer's --dry-run with the same seed."""
import json
import subprocess
import os
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from producer_testlib import ROOT, KafkaLocal, kill_children, require, run_producer, spawn  # noqa: E402
from testlib import main, serve_http  # noqa: E402
from registry_testlib import SchemaRegistry  # noqa: E402

CONNECTOR = os.environ.get("CONNECTOR", os.path.join(ROOT, "build", "asan", "sink-connector"))
N = 25


class Invoke:
    """Lambda's Invoke API for one function: records the batches, answers each
    record with its payload (a successful synchronous invocation)."""

    def __init__(self):
        self.batches, lock = [], threading.Lock()
        invoke = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                batch = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                with lock:
                    invoke.batches.append(batch)
                data = json.dumps([{"payload": e["payload"]} for e in batch]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server, self.url = serve_http(Handler)

    def values(self):
        out = {}
        for b in self.batches:
            for e in b:
                out.setdefault(e["payload"]["offset"], e["payload"]["value"])
        return [out[k] for k in sorted(out)]


def run_connector(bootstrap, url, topic, *extra):
    p = spawn([CONNECTOR, "-b", bootstrap, "-u", url, "-f", "iris-fn", "-t", topic,
               "-g", f"g-{topic}", "--batch-size", "10", "--batch-wait-ms", "200",
               "--idle-exit-ms", "2000", "-s", "-", "--error-topic", "-", *extra],
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=120)
    return p.returncode, err


def test_each_format_reaches_the_function_as_the_rows_object():
    rows = [json.loads(line) for line in
            run_producer(["--dry-run", "-n", str(N), "--seed", "3"]).out.splitlines()]
    with SchemaRegistry() as reg, KafkaLocal(topics=("avro:1", "json_sr:1", "protobuf:1")) as k:
        for fmt, connector_fmt in (("avro", "AVRO"), ("json_sr", "JSON_SR"),
                                   ("protobuf", "PROTOBUF")):
            r = run_producer(["-b", k.bootstrap, "-t", fmt, "--schema-registry", reg.url,
                              "--format", fmt, "-n", str(N), "--seed", "3", "-q"])
            require(f"{fmt}: producer exit status ({r.err[-300:]})", r.rc == 0, 0, r.rc)
            fn = Invoke()
            rc, err = run_connector(k.bootstrap, fn.url, fmt, "--input-data-format",
                                    connector_fmt, "--schema-registry", reg.url)
            fn.server.shutdown()
            got = fn.values()
            require(f"{connector_fmt}: the function gets every record as the JSON object of "
                    "its row", got == rows, rows[:2], got[:2] if got else err[-600:])
        fn = Invoke()
        rc, err = run_connector(k.bootstrap, fn.url, "avro", "--input-data-format", "AVRO",
                                "--dlq-topic", "-", "--max-records", "1", "-g", "g-no-registry")
        fn.server.shutdown()
        require("AVRO without --schema-registry: the converter error names the wire format",
                rc != 0 and "Schema Registry wire format" in err and not fn.batches,
                "a converter error, no invocation", f"exit {rc}: {err[-400:]}")


if __name__ == "__main__":
    main(globals(), cleanup=kill_children)
