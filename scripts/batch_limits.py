#!/usr/bin/env python3
"""The largest aws.lambda.batch.size a synchronous invocation can answer.

Lambda caps a synchronous invocation's request at 6,291,456 bytes and its
response at 6,291,556 bytes (Lambda developer guide, "Lambda quotas":
invocation payload, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
A bigger request is refused by the Invoke API; a bigger response gets 413
from the Runtime API and Lambda fails the invocation with
Function.ResponseSizeTooLarge.

For each value form the Confluent AWS Lambda Sink connector can send (README
"Events it accepts"), this builds connector batches of typical iris records
(the producer's values, topic "iris", six partitions, 8-digit offsets,
current millisecond timestamps, null keys unless --key; compact JSON as the connector's
Jackson writes it), runs the real bootstrap under the Runtime API emulator
with its default limits, and bisects the largest batch whose request fits
and whose response the emulator accepts.

    scripts/batch_limits.py [--bootstrap build/bootstrap] [--forms object,map,escaped]
                            [--key none|species|uuid]
"""
import argparse
import csv
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MAX_REQUEST = 6291456
MAX_RESPONSE = 6291556
FORMS = {
    "object": "JSON object (input.data.format JSON_SR, AVRO or PROTOBUF)",
    "map": "Map.toString() string (JSON schemaless, JsonKeyValueConverter: the default)",
    "escaped": "escaped-JSON string (JSON schemaless, EscapedJsonKeyValueConverter)",
}


def iris_values(n, seed=2026):
    """n values as the producer writes them: one-decimal doubles, species."""
    with open(os.path.join(ROOT, "model", "iris.csv")) as f:
        rows = list(csv.DictReader(f))
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        r = rows[rng.randrange(len(rows))]
        out.append({"sepalLength": float(r["sepal_length"]), "sepalWidth": float(r["sepal_width"]),
                    "petalLength": float(r["petal_length"]), "petalWidth": float(r["petal_width"]),
                    "species": r["species"]})
    return out


def java_map_string(v, rng):
    """Java's AbstractMap.toString() of the HashMap JsonConverter builds:
    any key order, Double.toString numbers ("5.0"), unquoted strings."""
    keys = list(v)
    rng.shuffle(keys)
    return "{" + ", ".join("%s=%s" % (k, v[k]) for k in keys) + "}"


def record_key(kind, i, v, rng):
    """The producer's --key: none, species, or a random UUID string."""
    if kind == "species":
        return v["species"]
    if kind == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return None


def elements(form, n, key="none"):
    """The JSON text of n connector batch elements (a prefix of n + 1's)."""
    rng = random.Random(7)
    t0 = int(time.time() * 1000)
    out = []
    for i, v in enumerate(iris_values(n)):
        if form == "map":
            value = java_map_string(v, rng)
        elif form == "escaped":
            value = json.dumps(v, separators=(",", ":"))
        else:
            value = v
        el = {"payload": {"timestamp": t0 + i * 10, "topic": "iris", "partition": i % 6,
                          "offset": 10000000 + i // 6,
                          "key": record_key(key, i, v, rng), "value": value}}
        out.append(json.dumps(el, separators=(",", ":")))
    return out


class Emulator:
    """build/bootstrap under tests/doubles/rapi_emulator.py, default limits."""

    def __init__(self, bootstrap):
        self.dir = tempfile.mkdtemp(prefix="batch-limits-")
        port_file = os.path.join(self.dir, "port")
        env = dict(os.environ, ALERT_MODE="off", AWS_LAMBDA_LOG_LEVEL="ERROR")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tests", "doubles", "rapi_emulator.py"),
             "--port", "0", "--port-file", port_file, "--", bootstrap],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        else:
            raise SystemExit("the Runtime API emulator did not start")
        port = int(open(port_file).read().strip())
        self.url = "http://127.0.0.1:%d/2015-03-31/functions/function/invocations" % port

    def invoke(self, body):
        """(function error type or None, response bytes)."""
        req = urllib.request.Request(self.url, data=body, method="POST")
        with urllib.request.urlopen(req, timeout=120) as r:
            data = r.read()
            err = r.headers.get("X-Amz-Function-Error")
        if err:
            return json.loads(data).get("errorType", err), data
        return None, data

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def limit(emu, form, key, hi=60000):
    els = elements(form, hi, key)
    sizes = [0]
    for e in els:
        sizes.append(sizes[-1] + len(e) + 1)  # "," or "[" before, "]" counted once below

    def request_bytes(n):
        return sizes[n] + 1 if n > 0 else 2

    last = {}

    def answered(n):
        err, data = emu.invoke(("[" + ",".join(els[:n]) + "]").encode())
        if err is None:
            if len(json.loads(data)) != n:
                raise SystemExit("%s: %d records gave a response without %d elements" % (form, n, n))
            last[n] = data
            return True, len(data)
        if err == "Function.ResponseSizeTooLarge":
            return False, None
        raise SystemExit("%s: %d records failed with %s" % (form, n, err))

    req_max = max(n for n in range(hi + 1) if request_bytes(n) <= MAX_REQUEST)
    lo, hi_n = 1, req_max + 1  # lo answered; hi_n is not (or over the request cap)
    ok, resp = answered(req_max)
    if ok:
        lo, hi_n, resp_lo = req_max, req_max + 1, resp
    else:
        ok, resp_lo = answered(lo)
        if not ok:
            raise SystemExit("%s: even one record is not answered" % form)
        while hi_n - lo > 1:
            mid = (lo + hi_n) // 2
            ok, resp = answered(mid)
            if ok:
                lo, resp_lo = mid, resp
            else:
                hi_n = mid
    bound = "request" if lo == req_max else "response"
    # What the echoed measurements cost in that response (for docs/function.md's
    # case against dropping them).
    echo = sum(len(m) for m in re.findall(rb',"(?:sepal|petal)(?:Length|Width)":[0-9.eE+-]+',
                                          last.get(lo, b"")))
    return {"form": form, "records": lo, "requestBytes": request_bytes(lo),
            "responseBytes": resp_lo, "requestPerRecord": round(request_bytes(lo) / lo, 1),
            "responsePerRecord": round(resp_lo / lo, 1), "boundBy": bound,
            "measurementEchoPerRecord": round(echo / lo, 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bootstrap", default=os.path.join(ROOT, "build", "bootstrap"))
    ap.add_argument("--forms", default="object,map,escaped")
    ap.add_argument("--key", choices=("none", "species", "uuid"), default="none",
                    help="record keys, as the producer's --key (default: none, null keys)")
    ap.add_argument("--json", action="store_true", help="one JSON line per form")
    args = ap.parse_args()
    emu = Emulator(os.path.abspath(args.bootstrap))
    try:
        for form in args.forms.split(","):
            if form not in FORMS:
                raise SystemExit("unknown form %r (one of %s)" % (form, ", ".join(FORMS)))
            r = limit(emu, form, args.key)
            if args.json:
                print(json.dumps(r))
            else:
                print("%-8s largest batch %6d records: request %d bytes (%.1f/record), "
                      "response %d bytes (%.1f/record, of which %.1f echo the measurements); "
                      "bound by the %s limit  [%s]"
                      % (form, r["records"], r["requestBytes"], r["requestPerRecord"],
                         r["responseBytes"], r["responsePerRecord"],
                         r["measurementEchoPerRecord"], r["boundBy"], FORMS[form]))
            sys.stdout.flush()
    finally:
        emu.close()


if __name__ == "__main__":
    main()
