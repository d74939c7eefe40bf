#!/usr/bin/python3
"""The producer's Schema Registry formats (--format avro|json_sr|protobuf):
the real build/producer writes to kafka-local with the schema registered in
the Schema Registry double, and Confluent's own client and deserializers
(@confluentinc/schemaregistry, tests/node/) register, fetch and decode every
message to the row the producer drew.  Errors (registry down, 401, 409, a
record that does not fit the schema) name the subject and the registry's
message, produce nothing the registry did not accept and never print a
secret."""
import atexit
import json
import os
import shutil
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from producer_testlib import (INTEGRATION_DIR, KafkaLocal, cloud_secrets, kill_children,  # noqa: E402
                              require, run_producer)
from testlib import main  # noqa: E402
from registry_testlib import (SchemaRegistry, confluent_decode, raw_values,  # noqa: E402
                             shipped_schema)

tmp = tempfile.mkdtemp(prefix="producer-sr-")
atexit.register(shutil.rmtree, tmp, ignore_errors=True)
N = 40


def dry_rows(seed, n):
    """The rows a run with this seed draws, from --dry-run (plain JSON)."""
    r = run_producer(["--dry-run", "-n", str(n), "--seed", str(seed)])
    require("--dry-run exit status", r.rc == 0, 0, r.rc)
    return [json.loads(line) for line in r.out.splitlines()]


def require_hidden(what, r, secret):
    pieces = [secret[i:i + 12] for i in range(0, len(secret) - 11, 4)]
    leaked = [line for line in r.output.splitlines() if any(p in line for p in pieces)]
    require(f"{what}: the secret stays out of stdout and stderr", not leaked, "no piece of it",
            leaked[:3])


def test_every_format_decodes_with_confluents_deserializer_to_the_same_row():
    user = "ABCDEFGHIJKLMNOP:" + cloud_secrets(1)[0]
    with SchemaRegistry(users=[user]) as reg, KafkaLocal(topics=("avro:1", "json_sr:1",
                                                                 "protobuf:1")) as k:
        props = reg.properties(os.path.join(tmp, "client.properties"))
        expected = dry_rows(7, N)
        for fmt in ("avro", "json_sr", "protobuf"):
            r = run_producer(["-b", k.bootstrap, "-t", fmt, "-F", props, "--format", fmt,
                              "-n", str(N), "--seed", "7", "-vv"])
            require(f"{fmt}: exit status ({r.err[-800:]})", r.rc == 0, 0, r.rc)
            require_hidden(f"{fmt}, -vv", r, user.split(":")[1])
            status, latest = reg.call("GET", f"/subjects/{fmt}-value/versions/latest")
            require(f"{fmt}: the schema is registered under {fmt}-value", status == 200
                    and latest.get("schemaType", "AVRO") == {"avro": "AVRO", "json_sr": "JSON",
                                                            "protobuf": "PROTOBUF"}[fmt]
                    and latest["schema"] == shipped_schema(fmt), "the shipped schema", latest)
            values = raw_values(k.bootstrap, fmt)
            require(f"{fmt}: message count", len(values) == N, N, len(values))
            header = struct.pack(">bI", 0, latest["id"]) + (b"\x00" if fmt == "protobuf" else b"")
            bad = [v[:6].hex() for v in values if not v.startswith(header)]
            require(f"{fmt}: each value starts with magic byte 0 and schema id {latest['id']}"
                    + (" and message indexes [0] as the byte 0" if fmt == "protobuf" else ""),
                    not bad, header.hex(), bad[:3])
            got = confluent_decode(reg, fmt, fmt, values)
            require(f"{fmt}: Confluent's client registering the same schema gets the same id",
                    got["id"] == latest["id"], latest["id"], got["id"])
            require(f"{fmt}: the schema fetched by id is the shipped one",
                    got["fetched"]["schema"] == shipped_schema(fmt), "the shipped schema",
                    got["fetched"])
            wrong = [(i, e, g) for i, (e, g) in enumerate(zip(expected, got["rows"])) if e != g]
            require(f"{fmt}: every message decodes to the row drawn", not wrong, "no difference",
                    wrong[:3])
            if fmt == "json_sr":
                texts = [v[5:].decode() for v in values]
                plain = run_producer(["--dry-run", "-n", str(N), "--seed", "7"]).out.splitlines()
                require("json_sr: the value after the header is the plain JSON text",
                        texts == plain, plain[:1], texts[:1])


def test_registry_down_401_and_409_name_the_subject_and_produce_nothing():
    secret = cloud_secrets(1)[0]
    with KafkaLocal(topics=("iris:1",)) as k:
        with SchemaRegistry(users=[f"KEY:{secret}"]) as reg:
            dead = reg.url
            wrong = os.path.join(tmp, "wrong.properties")
            with open(wrong, "w") as f:
                f.write(f"schema.registry.url={reg.url}\nbasic.auth.credentials.source=USER_INFO\n"
                        f"basic.auth.user.info=KEY:{secret[::-1]}\n")
            r = run_producer(["-b", k.bootstrap, "-F", wrong, "--format", "avro", "-n", "5", "-vv"])
            require("401: exit 2 with the subject and the registry's message",
                    r.rc == 2 and f"schema registry {reg.url}: subject iris-value: registering the "
                    "AVRO schema: HTTP 401: Unauthorized (error_code 401)" in r.err, "exit 2, HTTP 401",
                    f"exit {r.rc}: {r.err[-600:]}")
            require_hidden("401", r, secret[::-1])
            # An earlier schema that ours cannot read (sepalLength was a string).
            old = json.loads(shipped_schema("avro"))
            old["fields"][0]["type"] = "string"
            status, _ = reg.call("POST", "/subjects/iris-value/versions",
                                 {"schema": json.dumps(old)})
            require("the earlier schema is registered", status == 200, 200, status)
            props = reg.properties(os.path.join(tmp, "ok.properties"))
            r = run_producer(["-b", k.bootstrap, "-F", props, "--format", "avro", "-n", "5"])
            require("409: exit 2 with the subject and the registry's message",
                    r.rc == 2 and "subject iris-value: registering the AVRO schema: HTTP 409: "
                    "Schema being registered is incompatible with an earlier schema for subject "
                    "\"iris-value\"" in r.err and "(error_code 409)" in r.err,
                    "exit 2, HTTP 409", f"exit {r.rc}: {r.err[-600:]}")
            require_hidden("409", r, secret)
        r = run_producer(["-b", k.bootstrap, "--schema-registry", dead, "--format", "protobuf",
                          "-n", "5"])
        require("registry down: exit 2, the subject and the reason",
                r.rc == 2 and f"schema registry {dead}: subject iris-value: cannot reach the "
                "registry" in r.err, "exit 2, cannot reach", f"exit {r.rc}: {r.err[-400:]}")
        values = raw_values(k.bootstrap, "iris")
        require("nothing was produced by the refused runs", values == [], [], len(values))


def test_a_record_that_does_not_fit_the_schema_is_named_and_not_produced():
    schema = json.loads(shipped_schema("avro"))
    schema["fields"][4]["type"] = {"type": "enum", "name": "Species",
                                   "symbols": ["setosa", "versicolor"]}
    path = os.path.join(tmp, "two-species.avsc")
    with open(path, "w") as f:
        json.dump(schema, f)
    expected = dry_rows(11, N)
    with SchemaRegistry() as reg, KafkaLocal(topics=("iris:1",)) as k:
        r = run_producer(["-b", k.bootstrap, "--schema-registry", reg.url, "--format", "avro",
                          "--schema", path, "-n", str(N), "--seed", "11"])
        bad = [i for i, row in enumerate(expected) if row["species"] == "virginica"]
        require("exit 1 when records were refused", r.rc == 1, 1, r.rc)
        require("the first refused record is named with the subject and the field",
                f"record {bad[0]} does not match the schema of subject iris-value (id 1), not "
                "produced: field \"species\": \"virginica\" is not a symbol of the enum Species"
                in r.err, "record N ... field \"species\"", r.err[-800:])
        require("the summary counts them", f"rejected by the schema {len(bad)}" in r.err,
                len(bad), r.err[-300:])
        values = raw_values(k.bootstrap, "iris")
        got = confluent_decode(reg, "iris", "avro", values, schema=json.dumps(schema))
        want = [row for row in expected if row["species"] != "virginica"]
        require("the other records were produced, in order, and decode to their rows",
                got["rows"] == want, f"{len(want)} rows", f"{len(got['rows'])} rows")


def test_the_double_answers_with_the_registrys_error_codes():
    with SchemaRegistry(users=["K:S"]) as reg:
        cases = [
            ("GET", "/subjects/nope-value/versions/1", None, 404, 40401),
            ("GET", "/schemas/ids/99", None, 404, 40403),
            ("POST", "/subjects/x-value/versions", {"schema": "{not json"}, 422, 42201),
            ("POST", "/subjects/x-value/versions", {"schema": "{}", "schemaType": "XML"}, 422,
             42201),
            ("POST", "/subjects/x-value/versions",
             {"schema": "syntax = \"proto3\"; message M { strin x = 1; }",
              "schemaType": "PROTOBUF"}, 422, 42201),
        ]
        for method, path, body, status, code in cases:
            s, a = reg.call(method, path, body)
            require(f"{method} {path}: {status} with error_code {code}",
                    s == status and a.get("error_code") == code, (status, code),
                    (s, a))
        s, a = reg.call("GET", "/subjects", user="K:wrong")
        require("wrong credentials: 401 Unauthorized",
                s == 401 and a == {"error_code": 401, "message": "Unauthorized"}, 401, (s, a))
        schema = shipped_schema("avro")
        s, a = reg.call("POST", "/subjects/iris-value/versions", {"schema": schema})
        require("register", s == 200 and a == {"id": 1}, {"id": 1}, a)
        s, a = reg.call("POST", "/subjects/other-value/versions", {"schema": schema})
        require("the same schema under another subject keeps its id", a == {"id": 1}, 1, a)
        s, a = reg.call("POST", "/subjects/iris-value", {"schema": schema})
        require("lookup", s == 200 and (a["id"], a["version"]) == (1, 1), (1, 1), a)
        s, a = reg.call("GET", "/subjects/iris-value/versions/0")
        require("version 0: 422 42202", (s, a.get("error_code")) == (422, 42202), 42202, a)
        s, a = reg.call("GET", "/subjects/iris-value/versions/2")
        require("version 2: 404 40402", (s, a.get("error_code")) == (404, 40402), 40402, a)
        added = json.loads(schema)
        added["fields"].append({"name": "stem", "type": "double"})
        s, a = reg.call("POST", "/subjects/iris-value/versions", {"schema": json.dumps(added)})
        require("BACKWARD (default): a new field without a default is refused",
                s == 409 and "'stem'" in a["message"], 409, (s, a))
        added["fields"][-1]["default"] = 0.0
        s, a = reg.call("POST", "/subjects/iris-value/versions", {"schema": json.dumps(added)})
        require("... and accepted with a default", s == 200 and a == {"id": 2}, {"id": 2}, (s, a))
        s, a = reg.call("PUT", "/config/other-value", {"compatibility": "NONE"})
        added["fields"][0]["type"] = "string"
        s, a = reg.call("POST", "/subjects/other-value/versions", {"schema": json.dumps(added)})
        require("NONE: anything goes", s == 200, 200, (s, a))


if __name__ == "__main__":
    main(globals(), cleanup=kill_children, cwd=INTEGRATION_DIR)
