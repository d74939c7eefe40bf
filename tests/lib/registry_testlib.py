"""The Schema Registry double (tests/doubles/schema_registry.py) as a test
fixture, raw message values read back with kcat, and Confluent's own
deserializers (tests/node/sr_decode.js) run on them."""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from producer_testlib import ROOT, require, spawn, stop  # noqa: F401
from testlib import TempProcess, TestFailure

DOUBLE = os.path.join(ROOT, "tests", "doubles", "schema_registry.py")
NODE_DIR = os.path.join(ROOT, "tests", "node")
SCHEMAS = os.path.join(ROOT, "producer", "schemas")
SHIPPED = {"avro": "iris.avsc", "json_sr": "iris.schema.json", "protobuf": "iris.proto"}
TYPES = {"avro": "AVRO", "json_sr": "JSON", "protobuf": "PROTOBUF"}


def shipped_schema(fmt):
    with open(os.path.join(SCHEMAS, SHIPPED[fmt])) as f:
        return f.read()


class SchemaRegistry(TempProcess):
    """A running Schema Registry double; users: "KEY:SECRET" strings it accepts."""

    def __init__(self, users=()):
        self.dir = tempfile.mkdtemp(prefix="schema-registry-")
        port_file = os.path.join(self.dir, "port")
        args = [sys.executable, DOUBLE, "--port-file", port_file]
        for u in users:
            args += ["--user", u]
        self.user = users[0] if users else None
        self.log = open(os.path.join(self.dir, "stderr"), "w+")
        self.proc = spawn(args, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 20
        while not os.path.exists(port_file):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise TestFailure("the Schema Registry double did not start")
            time.sleep(0.05)
        with open(port_file) as f:
            self.port = int(f.read())
        self.url = f"http://127.0.0.1:{self.port}"

    def call(self, method, path, body=None, user=None):
        """(status, parsed JSON answer) of one request."""
        user = user or self.user
        req = urllib.request.Request(self.url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
        req.add_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        if user:
            req.add_header("Authorization", "Basic " + base64.b64encode(user.encode()).decode())
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def properties(self, path):
        """Writes the Confluent client properties for this registry to path."""
        with open(path, "w") as f:
            f.write(f"schema.registry.url={self.url}\n")
            if self.user:
                f.write("basic.auth.credentials.source=USER_INFO\n"
                        f"basic.auth.user.info={self.user}\n")
        return path


def raw_values(bootstrap, topic, timeout=60):
    """Every message value of a topic as bytes, in (partition, offset) order."""
    p = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
                        "-f", "%p %o %S:%s\n", "-X", "fetch.wait.max.ms=10"],
                       capture_output=True, timeout=timeout)
    require(f"kcat exit status (stderr: {p.stderr.decode(errors='replace')[-300:]})",
            p.returncode == 0, 0, p.returncode)
    out, i, data = [], 0, p.stdout
    while i < len(data):
        sp1 = data.index(b" ", i)
        sp2 = data.index(b" ", sp1 + 1)
        colon = data.index(b":", sp2 + 1)
        n = int(data[sp2 + 1:colon])
        out.append((int(data[i:sp1]), int(data[sp1 + 1:sp2]), data[colon + 1:colon + 1 + n]))
        i = colon + 1 + n + 1
    return [v for _, _, v in sorted(out)]


def confluent_decode(registry, topic, fmt, payloads, schema=None):
    """Runs Confluent's client and deserializer (tests/node/sr_decode.js)."""
    req = {"url": registry.url, "userInfo": registry.user, "topic": topic, "format": fmt,
           "schema": schema if schema is not None else shipped_schema(fmt),
           "payloads": [base64.b64encode(p).decode() for p in payloads]}
    p = subprocess.run(["node", os.path.join(NODE_DIR, "sr_decode.js")], input=json.dumps(req),
                       capture_output=True, text=True, timeout=120, cwd=NODE_DIR)
    require(f"Confluent's deserializer (stderr: {p.stderr[-1500:]})", p.returncode == 0, 0,
            p.returncode)
    return json.loads(p.stdout)
