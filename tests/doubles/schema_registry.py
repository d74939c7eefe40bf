#!/usr/bin/python3
"""A local Confluent Schema Registry (test double) for tests and `make demo`.

Speaks the registry's REST API over plain HTTP on a loopback port, as the
Schema Registry API reference (Confluent Platform, "Schema Registry API
Reference"; Confluent Cloud's per-endpoint pages) describes it:

  POST /subjects/{subject}/versions   register: {"schema", "schemaType"?} ->
                                      {"id"}; the same schema again answers
                                      its existing id; 409 (error_code 409)
                                      when the subject's compatibility level
                                      refuses it; 422 42201 for an invalid
                                      schema or schema type
  POST /subjects/{subject}            lookup: {"subject","id","version",
                                      "schema"} or 404 40401 (subject not
                                      found) / 40403 (schema not found)
  GET  /schemas/ids/{id}              {"schema", "schemaType"?} (schemaType
                                      omitted for AVRO); ?format=serialized
                                      gives a Protobuf schema as a base64
                                      FileDescriptorProto (what Confluent's
                                      Protobuf deserializers ask for);
                                      404 40403 "Schema N not found"
  GET  /subjects                      the subjects
  GET  /subjects/{subject}/versions   the versions
  GET  /subjects/{subject}/versions/{version}   {"subject","version","id",
                                      "schema","schemaType"?}; version an
                                      integer or "latest"; 404 40401/40402,
                                      422 42202 for an invalid version
  GET|PUT /config, /config/{subject}  {"compatibilityLevel"} / {"compatibility"};
                                      a subject without its own level has
                                      none (404 40408), the global is BACKWARD

Compatibility (API reference, "Compatibility concepts"; Avro's "Schema
Resolution" for what a reader can read): BACKWARD (the default: the new schema
reads data written with the latest), BACKWARD_TRANSITIVE (with every version),
FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE.  Modelled as far as
records of scalar fields go: Avro per the resolution rules (a reader field
missing from the writer needs a default; types must match or promote
int->long->float->double, string<->bytes; enum symbols written must exist in
the reader unless it has a default); JSON Schema: a reader that requires a
property the writer may lack, or a property whose "type" changed; Protobuf: a
field number whose type changed.

Authentication: with --user KEY:SECRET (repeatable) or SCHEMA_REGISTRY_USERS
(comma-separated), every request needs HTTP Basic credentials among them,
else 401 {"error_code": 401, "message": "Unauthorized"} (as Confluent Cloud's
registry answers).  Errors are {"error_code": N, "message": "..."}.

Protobuf schemas are compiled with protoc-c (Debian's protobuf-c-compiler,
built on libprotoc), which also validates them.

Usage: schema_registry.py [--port 0] [--port-file F] [--user KEY:SECRET]
--port 0 picks a free port; "schema_registry listening on http://127.0.0.1:PORT"
is printed on stdout and the port written to --port-file.  Runs until SIGTERM.
"""
import argparse
import base64
import http.server
import json
import os
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import urllib.parse

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
LEVELS = ("BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL",
          "FULL_TRANSITIVE", "NONE")


class RegistryError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def invalid(message):
    return RegistryError(422, 42201, f"Invalid schema {message}")


# --- Avro ------------------------------------------------------------------

AVRO_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
AVRO_PROMOTIONS = {("int", "long"), ("int", "float"), ("int", "double"), ("long", "float"),
                   ("long", "double"), ("float", "double"), ("string", "bytes"),
                   ("bytes", "string")}


def avro_type(t):
    """A normalised type: a primitive name, or a dict with "type"."""
    if isinstance(t, str):
        if t not in AVRO_PRIMITIVES:
            raise invalid(f"unknown Avro type {t!r}")
        return t
    if isinstance(t, list):
        return {"type": "union", "types": [avro_type(x) for x in t]}
    if not isinstance(t, dict) or "type" not in t:
        raise invalid("an Avro type is a name, a union list or an object with \"type\"")
    kind = t["type"]
    if kind in AVRO_PRIMITIVES:
        return kind
    if kind == "record":
        if not isinstance(t.get("name"), str) or not isinstance(t.get("fields"), list):
            raise invalid("an Avro record needs a \"name\" and \"fields\"")
        fields = []
        for f in t["fields"]:
            if not isinstance(f, dict) or not isinstance(f.get("name"), str) or "type" not in f:
                raise invalid("each Avro record field needs a \"name\" and a \"type\"")
            fields.append({"name": f["name"], "type": avro_type(f["type"]),
                           "has_default": "default" in f})
        return {"type": "record", "name": t["name"], "fields": fields}
    if kind == "enum":
        if not isinstance(t.get("symbols"), list):
            raise invalid("an Avro enum needs \"symbols\"")
        return {"type": "enum", "name": t.get("name"), "symbols": t["symbols"],
                "has_default": "default" in t}
    if kind in ("array", "map"):
        return {"type": kind, "items": avro_type(t.get("items", t.get("values")))}
    if kind == "fixed":
        return {"type": "fixed", "size": t.get("size")}
    raise invalid(f"unknown Avro type {kind!r}")


def avro_can_read(reader, writer, path, problems):
    """Avro schema resolution: can data written with writer be read with reader?"""
    rk = reader if isinstance(reader, str) else reader["type"]
    wk = writer if isinstance(writer, str) else writer["type"]
    if wk == "union":
        for w in writer["types"]:
            avro_can_read(reader, w, path, problems)
        return
    if rk == "union":
        trial = []
        for r in reader["types"]:
            trial = []
            avro_can_read(r, writer, path, trial)
            if not trial:
                return
        problems.append(f"TYPE_MISMATCH at {path}: the writer's {wk} is in no branch of the "
                        "reader's union")
        return
    if rk != wk and (wk, rk) not in AVRO_PROMOTIONS:
        problems.append(f"TYPE_MISMATCH at {path}: reader type {rk} does not match writer type "
                        f"{wk}")
        return
    if rk == "record":
        written = {f["name"]: f for f in writer["fields"]}
        for i, f in enumerate(reader["fields"]):
            if f["name"] in written:
                avro_can_read(f["type"], written[f["name"]]["type"], f"{path}/fields/{i}",
                              problems)
            elif not f["has_default"]:
                problems.append(f"READER_FIELD_MISSING_DEFAULT_VALUE: the field '{f['name']}' "
                                f"at path '{path}/fields/{i}' in the new schema has no default "
                                "value and is missing in the old schema")
    elif rk == "enum":
        missing = [s for s in writer["symbols"] if s not in reader["symbols"]]
        if missing and not reader["has_default"]:
            problems.append(f"MISSING_ENUM_SYMBOLS at {path}: the reader lacks {missing}")
    elif rk in ("array", "map"):
        avro_can_read(reader["items"], writer["items"], f"{path}/items", problems)


# --- JSON Schema -----------------------------------------------------------

def json_can_read(reader, writer, path, problems):
    rprops = reader.get("properties", {}) if isinstance(reader, dict) else {}
    wprops = writer.get("properties", {}) if isinstance(writer, dict) else {}
    wrequired = set(writer.get("required", [])) if isinstance(writer, dict) else set()
    for name in reader.get("required", []) if isinstance(reader, dict) else []:
        if name not in wrequired:
            problems.append(f"REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL at "
                            f"#/properties/{name}: the new schema requires '{name}', which the "
                            "old one does not")
    for name, rp in rprops.items():
        wp = wprops.get(name)
        if isinstance(rp, dict) and isinstance(wp, dict) and "type" in rp and "type" in wp \
                and rp["type"] != wp["type"] and not (rp["type"] == "number"
                                                      and wp["type"] == "integer"):
            problems.append(f"TYPE_CHANGED at #/properties/{name}: {wp['type']} -> {rp['type']}")


# --- Protobuf --------------------------------------------------------------

def proto_varint(b, i):
    shift = value = 0
    while True:
        c = b[i]
        i += 1
        value |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return value, i


def proto_fields(b):
    """(field number, wire type, value) of a serialized message, in order."""
    i, out = 0, []
    while i < len(b):
        key, i = proto_varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = proto_varint(b, i)
        elif wt == 2:
            n, i = proto_varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wt}")
        out.append((num, wt, v))
    return out


def proto_compile(text):
    """The FileDescriptorProto of a .proto text (bytes), via protoc-c."""
    with tempfile.TemporaryDirectory() as d:
        src, out = os.path.join(d, "schema.proto"), os.path.join(d, "set.pb")
        with open(src, "w") as f:
            f.write(text)
        p = subprocess.run(["protoc-c", f"--descriptor_set_out={out}", f"-I{d}", "schema.proto"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise invalid(f"(Protobuf): {p.stderr.strip().replace(d + '/', '')}")
        with open(out, "rb") as f:
            files = [v for num, _, v in proto_fields(f.read()) if num == 1]
    return files[0]


def proto_messages(fdp):
    """{message name: {field number: (name, type)}} of a FileDescriptorProto."""
    out = {}
    for num, _, msg in proto_fields(fdp):
        if num != 4:
            continue
        name, fields = "", {}
        for n, _, v in proto_fields(msg):
            if n == 1:
                name = v.decode()
            elif n == 2:
                f = {k: val for k, _, val in proto_fields(v)}
                fields[f.get(3)] = (f.get(1, b"").decode(), f.get(5))
        out[name] = fields
    return out


def proto_can_read(reader, writer, problems):
    for mname, rfields in reader.items():
        for num, (fname, ftype) in rfields.items():
            w = writer.get(mname, {}).get(num)
            if w and w[1] != ftype:
                problems.append(f"FIELD_KIND_CHANGED: {mname}.{fname} (field {num}) changed type")


# --- the registry ----------------------------------------------------------

class Schema:
    def __init__(self, text, stype):
        self.text, self.type = text, stype
        if stype == "AVRO":
            try:
                self.parsed = avro_type(json.loads(text))
            except json.JSONDecodeError as e:
                raise invalid(f"(Avro): not JSON: {e}")
            self.canonical = json.dumps(json.loads(text), sort_keys=True)
        elif stype == "JSON":
            try:
                self.parsed = json.loads(text)
            except json.JSONDecodeError as e:
                raise invalid(f"(JSON Schema): not JSON: {e}")
            if not isinstance(self.parsed, (dict, bool)):
                raise invalid("(JSON Schema): a schema is an object or a boolean")
            self.canonical = json.dumps(self.parsed, sort_keys=True)
        elif stype == "PROTOBUF":
            self.descriptor = proto_compile(text)
            self.parsed = proto_messages(self.descriptor)
            self.canonical = self.descriptor
        else:
            raise RegistryError(422, 42201, f"Invalid schema type {stype}")

    def can_read(self, writer):
        problems = []
        if self.type != writer.type:
            problems.append(f"the schema type changed from {writer.type} to {self.type}")
        elif self.type == "AVRO":
            avro_can_read(self.parsed, writer.parsed, "", problems)
        elif self.type == "JSON":
            json_can_read(self.parsed, writer.parsed, "#", problems)
        else:
            proto_can_read(self.parsed, writer.parsed, problems)
        return problems


class Registry:
    def __init__(self):
        self.lock = threading.Lock()
        self.schemas = []  # id - 1 -> Schema
        self.subjects = {}  # subject -> [schema id, ...] (version - 1)
        self.config = {}  # subject -> level
        self.global_level = "BACKWARD"

    def level(self, subject):
        return self.config.get(subject, self.global_level)

    def find(self, schema):
        for i, s in enumerate(self.schemas):
            if s.type == schema.type and s.canonical == schema.canonical:
                return i + 1
        return None

    def register(self, subject, schema):
        versions = self.subjects.get(subject, [])
        for sid in versions:
            s = self.schemas[sid - 1]
            if s.type == schema.type and s.canonical == schema.canonical:
                return sid
        level = self.level(subject)
        if versions and level != "NONE":
            against = versions if level.endswith("TRANSITIVE") else versions[-1:]
            problems = []
            for sid in against:
                old = self.schemas[sid - 1]
                if level.startswith(("BACKWARD", "FULL")):
                    problems += schema.can_read(old)
                if level.startswith(("FORWARD", "FULL")):
                    problems += old.can_read(schema)
            if problems:
                raise RegistryError(409, 409, "Schema being registered is incompatible with an "
                                    f"earlier schema for subject \"{subject}\", details: "
                                    f"[{'; '.join(problems)}] (compatibility level {level})")
        sid = self.find(schema)
        if sid is None:
            self.schemas.append(schema)
            sid = len(self.schemas)
        self.subjects.setdefault(subject, []).append(sid)
        return sid

    def version(self, subject, v):
        versions = self.subjects.get(subject)
        if not versions:
            raise RegistryError(404, 40401, f"Subject '{subject}' not found.")
        if v == "latest" or v == "-1":
            n = len(versions)
        else:
            try:
                n = int(v)
            except ValueError:
                n = 0
            if n < 1 or n > 2 ** 31 - 1:
                raise RegistryError(422, 42202, f"The specified version '{v}' is not a valid "
                                    "version id. Allowed values are between [1, 2^31-1] and "
                                    "the string \"latest\"")
            if n > len(versions):
                raise RegistryError(404, 40402, f"Version {v} not found.")
        return n, versions[n - 1]


def schema_body(s, sid, fmt=None):
    body = {"schema": s.text}
    if s.type == "PROTOBUF" and fmt == "serialized":
        body["schema"] = base64.b64encode(s.descriptor).decode()
    if s.type != "AVRO":
        body["schemaType"] = s.type
    return body


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    registry = None
    users = set()

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        if not self.users:
            return True
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return False
        try:
            return base64.b64decode(auth[6:], validate=True).decode() in self.users
        except (ValueError, UnicodeDecodeError):
            return False

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            raise RegistryError(400, 400, "Unrecognized token: the request body is not JSON")

    def handle_any(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        parts = [urllib.parse.unquote(p) for p in url.path.strip("/").split("/") if p]
        try:
            if not self.authorized():
                raise RegistryError(401, 401, "Unauthorized")
            body = self.body() if method in ("POST", "PUT") else None
            with self.registry.lock:
                status, answer = self.route(method, parts, query, body)
            self.send(status, answer)
        except RegistryError as e:
            self.send(e.status, {"error_code": e.code, "message": e.message})

    def route(self, method, parts, query, body):
        reg = self.registry
        if method == "POST" and len(parts) in (2, 3) and parts[0] == "subjects":
            if not isinstance(body, dict) or not isinstance(body.get("schema"), str):
                raise RegistryError(422, 42201, "Invalid schema: the body needs a \"schema\" "
                                    "string")
            schema = Schema(body["schema"], body.get("schemaType") or "AVRO")
            subject = parts[1]
            if len(parts) == 3 and parts[2] == "versions":
                return 200, {"id": reg.register(subject, schema)}
            if len(parts) == 2:
                versions = reg.subjects.get(subject)
                if not versions:
                    raise RegistryError(404, 40401, f"Subject '{subject}' not found.")
                for v, sid in enumerate(versions, 1):
                    s = reg.schemas[sid - 1]
                    if s.type == schema.type and s.canonical == schema.canonical:
                        out = {"subject": subject, "id": sid, "version": v}
                        out.update(schema_body(s, sid))
                        return 200, out
                raise RegistryError(404, 40403, "Schema not found")
        if method == "GET" and len(parts) == 3 and parts[:2] == ["schemas", "ids"]:
            try:
                sid = int(parts[2])
            except ValueError:
                sid = 0
            if sid < 1 or sid > len(reg.schemas):
                raise RegistryError(404, 40403, f"Schema {parts[2]} not found")
            return 200, schema_body(reg.schemas[sid - 1], sid, query.get("format"))
        if method == "GET" and parts == ["subjects"]:
            return 200, sorted(reg.subjects)
        if method == "GET" and len(parts) == 3 and parts[0] == "subjects" and parts[2] == "versions":
            if parts[1] not in reg.subjects:
                raise RegistryError(404, 40401, f"Subject '{parts[1]}' not found.")
            return 200, list(range(1, len(reg.subjects[parts[1]]) + 1))
        if method == "GET" and len(parts) == 4 and parts[0] == "subjects" and parts[2] == "versions":
            n, sid = reg.version(parts[1], parts[3])
            out = {"subject": parts[1], "version": n, "id": sid}
            out.update(schema_body(reg.schemas[sid - 1], sid, query.get("format")))
            return 200, out
        if parts[:1] == ["config"] and len(parts) <= 2:
            subject = parts[1] if len(parts) == 2 else None
            if method == "GET":
                if subject is None:
                    return 200, {"compatibilityLevel": reg.global_level}
                if subject not in reg.config:
                    if query.get("defaultToGlobal") == "true":
                        return 200, {"compatibilityLevel": reg.global_level}
                    raise RegistryError(404, 40408, f"Subject '{subject}' does not have "
                                        "subject-level compatibility configured")
                return 200, {"compatibilityLevel": reg.config[subject]}
            if method == "PUT":
                level = (body or {}).get("compatibility")
                if level not in LEVELS:
                    raise RegistryError(422, 42203, "Invalid compatibility level. Valid values "
                                        f"are none, backward, forward, full, ...: {level}")
                if subject is None:
                    reg.global_level = level
                else:
                    reg.config[subject] = level
                return 200, {"compatibility": level}
        raise RegistryError(404, 404, "HTTP 404 Not Found")

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description="A local Confluent Schema Registry (test double).")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--user", action="append", default=[], help="KEY:SECRET (repeatable)")
    args = ap.parse_args()
    users = set(args.user)
    users.update(u for u in os.environ.get("SCHEMA_REGISTRY_USERS", "").split(",") if u)
    Handler.registry, Handler.users = Registry(), users
    server = Server(("127.0.0.1", args.port), Handler)
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"schema_registry listening on http://127.0.0.1:{port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
