"""Shared pieces of the SNS tests: distinctive fake credentials, a local SNS
(tests/doubles/sns_local.py) in a subprocess, and a unittest runner whose closing
line tests/lib/run-suite.sh counts ("NAME: N passed, N failed"; NAME in letters
and hyphens only)."""
import csv
import json
import os
import tempfile
import urllib.request

from testlib import DOUBLES, PY, read_log, run_unittest, start, stop, wait_file  # noqa: F401

REGION = "us-east-1"
ACCOUNT = "123456789012"
TOPIC = "iris-alerts"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:{TOPIC}"
FIFO_TOPIC = "iris-alerts.fifo"
FIFO_TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:{FIFO_TOPIC}"

# Fake credentials, distinctive so a leak is easy to spot in any output.
KEY_ID = "AKIDIRISLONGTERM01"
SECRET = "irisFAKEsecret/LongTerm+Key0123456789NEVERLOG"
TEMP_KEY_ID = "ASIAIRISSESSION01"
TEMP_SECRET = "irisFAKEsecret/Session+Key9876543210NEVERLOG"
TOKEN = "irisFAKEsessionTOKEN//AQoDYXdzEPT+NEVERLOG/zz=="
SECRETS = (SECRET, TEMP_SECRET, TOKEN)

# How long sns_local.py may take to write its port file.
READY_TIMEOUT_S = 60


IRIS_CLASSES = ["setosa", "versicolor", "virginica"]
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "model",
                       "iris.csv"), newline="") as _f:
    IRIS_ROWS = list(csv.DictReader(_f))


def iris_record(offset, wrong=False, labelled=True, petal_shift=0.0, ms_per_offset=1):
    """The connector's record at offset: row (offset * 37) % 150 of model/iris.csv
    (37 is coprime with 150: every row, well mixed); wrong: labelled with the next
    class; petal_shift: added to petal length (cm)."""
    r = IRIS_ROWS[(offset * 37) % len(IRIS_ROWS)]
    value = {"sepalLength": float(r["sepal_length"]), "sepalWidth": float(r["sepal_width"]),
             "petalLength": round(float(r["petal_length"]) + petal_shift, 2),
             "petalWidth": float(r["petal_width"])}
    if labelled:
        k = IRIS_CLASSES.index(r["species"])
        value["species"] = IRIS_CLASSES[(k + 1) % 3] if wrong else r["species"]
    return {"payload": {"timestamp": 1700000000000 + offset * ms_per_offset, "topic": "iris",
                        "partition": 0, "offset": offset, "key": None, "value": value}}


def find_leaks(text):
    """The secrets (or a 12-character piece of one) found in text."""
    found = []
    for s in SECRETS:
        pieces = {s[i:i + 12] for i in range(0, len(s) - 11, 6)}
        if any(p in text for p in pieces):
            found.append(s[:8] + "...")
    return found


def find_pieces(text, n=10):
    """Every n-character piece of a secret in text, raw or percent-encoded
    (urllib.parse.quote, upper- or lower-case hex): a stricter check for
    tests against an endpoint that echoes the credentials back."""
    import urllib.parse
    found = set()
    for s in SECRETS:
        for i in range(len(s) - n + 1):
            piece = s[i:i + n]
            quoted = urllib.parse.quote(piece, safe="")
            for form in (piece, quoted, quoted.lower()):
                if form in text:
                    found.add(piece)
    return sorted(found)


class LocalSns:
    """tests/doubles/sns_local.py on a free loopback port; stop() ends it."""

    def __init__(self, extra_args=()):
        self.dir = tempfile.mkdtemp(prefix="sns-local-")
        port_file = os.path.join(self.dir, "port")
        self.log_path = os.path.join(self.dir, "sns_local.log")
        creds = f"{KEY_ID}:{SECRET},{TEMP_KEY_ID}:{TEMP_SECRET}:{TOKEN}"
        self.proc = start(
            [PY, os.path.join(DOUBLES, "sns_local.py"), "--port", "0", "--port-file", port_file,
             "--region", REGION, "--account", ACCOUNT, "--topic", TOPIC, *extra_args],
            self.log_path, env={"SNS_LOCAL_CREDENTIALS": creds})
        try:
            # Ready when the port file appears, after botocore's import: about 1 s
            # on an idle machine, many times that on a loaded one; a process that
            # exits instead fails at once (wait_file watches it).
            self.port = int(wait_file(port_file, self.proc, "sns_local.py", READY_TIMEOUT_S))
        except RuntimeError as e:
            self.stop()
            raise RuntimeError(f"{e}: {self.output()}") from None
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
        return read_log(self.log_path)

    def stop(self):
        stop(self.proc)


def run(name, *cases):
    """testlib.run_unittest: the cases, and the "NAME: N passed, N failed" line."""
    return run_unittest(name, *cases)
