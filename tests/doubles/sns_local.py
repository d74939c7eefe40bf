#!/usr/bin/python3
"""A local Amazon SNS (test double) for tests and `make demo`.

Speaks SNS's Query protocol over plain HTTP on a loopback port:
  POST /  Action=CreateTopic (Name, Attributes.entry.N.{key,value})
          Action=Publish (TopicArn, Message, Subject, MessageAttributes.entry.N.*,
                          MessageGroupId, MessageDeduplicationId)
          Action=ListTopics
with SNS's response and error XML (ErrorResponse/Error/{Type,Code,Message}):
NotFound 404 for an unknown topic, InvalidParameter 400 for a bad parameter,
Throttling 400 or 429 and InternalError 500 via fault injection.

FIFO topics (names ending in .fifo), as the SNS API reference (Publish) and the
SNS developer guide (FIFO topics, message deduplication) describe them: every
Publish needs a MessageGroupId; it needs a MessageDeduplicationId unless the
topic has ContentBasedDeduplication (then the id is the SHA-256 of the
message); both are 1-128 letters, digits and punctuation; a message whose
deduplication id was accepted in the last 5 minutes is accepted (a MessageId
and a SequenceNumber) but not delivered.  A standard topic refuses a
MessageDeduplicationId and accepts a MessageGroupId (SNS forwards it to SQS
fair queues).  The error texts are those SNS returns (as reproduced by
LocalStack's AWS-validated tests); the wording for a malformed id is SQS's.

Every request's SigV4 signature is verified with botocore's SigV4Auth, an
implementation independent of the C client's (Debian: python3-botocore, for
/usr/bin/python3).  Like AWS: no Authorization header is
MissingAuthenticationToken 403, an unknown access key or a wrong session
token is InvalidClientTokenId 403, a bad signature, a wrong credential scope
or an X-Amz-Date more than 15 minutes off is SignatureDoesNotMatch 403 (with
the expected canonical request in the message, as AWS sends it).

Credentials accepted: --credentials KEY_ID:SECRET[:SESSION_TOKEN] (repeatable)
and/or SNS_LOCAL_CREDENTIALS (the same, comma-separated).  With a session
token the request must carry it in X-Amz-Security-Token.

Test hooks (not part of SNS), JSON over HTTP under /_local/:
  GET    /_local/health      {"ok": true, "port": N}
  GET    /_local/published   every delivered Publish: messageId, topicArn, subject,
                             message, messageAttributes, accessKeyId, signedHeaders, time,
                             messageGroupId, messageDeduplicationId, sequenceNumber
  GET    /_local/requests    every request: time (epoch ms), action, status, errorCode,
                             signatureValid, connection (a per-TCP-connection id),
                             duplicate (a FIFO publish accepted but not delivered)
  GET    /_local/topics      ARNs of the topics
  POST   /_local/faults      {"code": "Throttling", "status": 429, "count": 2,
                              "message": "...", "delay_ms": 0, "action": "Publish"}:
                             the next `count` correctly signed requests (of that
                             action, default any) fail with that error after
                             delay_ms; code "_close" drops the connection without
                             answering; code "" with delay_ms only delays;
                             code "_echo_credentials" is a hostile endpoint: it
                             answers 400 with the request's secret key and
                             session token echoed in Code, Message and
                             RequestId, raw, percent-encoded, XML-escaped and in
                             pieces (not SNS: for testing that nothing leaks)
  DELETE /_local/faults      clear pending faults
  POST   /_local/reset       clear published messages, the request log, faults and
                             the FIFO deduplication history

  sns_local.py [--port 0] [--port-file F] [--region us-east-1]
               [--account 123456789012] [--topic NAME ...] [--credentials K:S[:T] ...]
               [--content-based-dedup]   (FIFO topics created by --topic get
                                          ContentBasedDeduplication=true)

--port 0 picks a free port; the port is printed as "sns_local listening on
http://127.0.0.1:PORT" on stdout and written to --port-file.  Runs until
SIGTERM or SIGINT.
"""
import argparse
import datetime
import hashlib
import hmac
import http.server
import json
import os
import signal
import socketserver
import sys
import threading
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape

try:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError:  # pragma: no cover - environment problem, said clearly
    sys.exit("sns_local.py needs botocore: run it with /usr/bin/python3 "
             "(Debian package python3-botocore)")

NS = "http://sns.amazonaws.com/doc/2010-03-31/"
MAX_MESSAGE = 262144
FIFO_ID_MAX = 128
DEDUP_WINDOW_S = 5 * 60  # SNS FIFO: the 5-minute deduplication interval
MAX_SKEW_S = 15 * 60
# Default HTTP status for fault codes (SNS's service model, plus the generic ones).
FAULT_STATUS = {
    "Throttling": 400, "Throttled": 429, "ThrottlingException": 400, "InternalError": 500,
    "ServiceUnavailable": 503, "InvalidParameter": 400, "NotFound": 404,
    "AuthorizationError": 403, "KMSThrottling": 400, "InvalidSecurity": 403,
}
DEFAULT_MESSAGES = {
    "Throttling": "Rate exceeded", "Throttled": "Rate exceeded",
    "InternalError": "Internal Error", "ServiceUnavailable": "Service Unavailable",
    "NotFound": "Topic does not exist", "InvalidParameter": "Invalid parameter",
    "AuthorizationError": "User is not authorized to perform: SNS:Publish",
}


class SnsError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_xml(code, message, request_id, status):
    kind = "Receiver" if status >= 500 else "Sender"
    return (f'<ErrorResponse xmlns="{NS}">\n  <Error>\n    <Type>{kind}</Type>\n'
            f'    <Code>{escape(code)}</Code>\n    <Message>{escape(message)}</Message>\n'
            f'  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n')


def result_xml(action, inner, request_id):
    return (f'<{action}Response xmlns="{NS}">\n  <{action}Result>\n{inner}'
            f'  </{action}Result>\n  <ResponseMetadata>\n'
            f'    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n'
            f'</{action}Response>\n')


def parse_credentials(items):
    creds = {}
    for item in items:
        for one in filter(None, (s.strip() for s in item.split(","))):
            parts = one.split(":", 2)
            if len(parts) < 2 or not parts[0] or not parts[1]:
                raise ValueError("credentials must be KEY_ID:SECRET[:SESSION_TOKEN]")
            creds[parts[0]] = (parts[1], parts[2] if len(parts) == 3 else None)
    return creds


class State:
    def __init__(self, args, credentials):
        self.lock = threading.Lock()
        self.region = args.region
        self.account = args.account
        self.credentials = credentials
        self.topics = set()
        self.fifo_content_dedup = {}  # FIFO topic ARN -> ContentBasedDeduplication
        self.dedup_seen = {}  # (topic ARN, deduplication id) -> time accepted
        self.sequence = 10000000000000000000
        self.published = []
        self.requests = []
        self.faults = []
        for name in args.topic:
            self.add_topic(name, args.content_based_dedup)

    def add_topic(self, name, content_dedup=False):
        arn = self.arn(name)
        self.topics.add(arn)
        if name.endswith(".fifo"):
            self.fifo_content_dedup.setdefault(arn, content_dedup)
        return arn

    def arn(self, name):
        return f"arn:aws:sns:{self.region}:{self.account}:{name}"

    def take_fault(self, action):
        with self.lock:
            for f in self.faults:
                if f["count"] > 0 and f.get("action") in (None, "", action):
                    f["count"] -= 1
                    fault = dict(f)
                    self.faults = [x for x in self.faults if x["count"] > 0]
                    return fault
        return None


def verify_signature(state, method, path, headers, body):
    """Raises SnsError unless the request is signed like AWS requires."""
    auth = headers.get("Authorization")
    if not auth:
        raise SnsError(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        raise SnsError(400, "IncompleteSignature", "Unsupported signing algorithm")
    fields = {}
    for part in auth[len("AWS4-HMAC-SHA256 "):].split(","):
        k, _, v = part.strip().partition("=")
        fields[k] = v
    try:
        key_id, date8, region, service, terminator = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        given = fields["Signature"]
    except (KeyError, ValueError):
        raise SnsError(400, "IncompleteSignature",
                       "Authorization header requires Credential, SignedHeaders and Signature")
    if key_id not in state.credentials:
        raise SnsError(403, "InvalidClientTokenId",
                       "The security token included in the request is invalid.")
    secret, token = state.credentials[key_id]
    sent_token = headers.get("X-Amz-Security-Token")
    if token is not None and sent_token != token or token is None and sent_token is not None:
        raise SnsError(403, "InvalidClientTokenId",
                       "The security token included in the request is invalid.")
    amz_date = headers.get("X-Amz-Date", "")
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        raise SnsError(403, "SignatureDoesNotMatch",
                       "Authorization header requires existence of either a 'X-Amz-Date' or "
                       "a 'Date' header.")
    skew = abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds())
    if skew > MAX_SKEW_S:
        raise SnsError(403, "SignatureDoesNotMatch",
                       f"Signature expired: {amz_date} is now earlier or later than allowed "
                       "(15 minutes)")
    if date8 != amz_date[:8] or region != state.region or service != "sns" \
            or terminator != "aws4_request":
        raise SnsError(403, "SignatureDoesNotMatch",
                       f"Credential should be scoped to a valid region and service: "
                       f"{date8}/{region}/{service}/{terminator}")
    for required in ("host", "x-amz-date"):
        if required not in signed:
            raise SnsError(403, "SignatureDoesNotMatch",
                           f"'{required}' must be a signed header")
    req_headers = {}
    for name in signed:
        values = headers.get_all(name)
        if values is None:
            raise SnsError(403, "SignatureDoesNotMatch", f"Signed header '{name}' is missing")
        req_headers[name] = values
    request = AWSRequest(method=method, url=f"http://{headers.get('Host')}{path}", data=body)
    for name, values in req_headers.items():
        for v in values:
            request.headers[name] = v  # an HTTPMessage: repeated names accumulate
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(key_id, secret, token), "sns", state.region)
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    expected = signer.signature(string_to_sign, request)
    if not hmac.compare_digest(expected, given):
        raise SnsError(403, "SignatureDoesNotMatch",
                       "The request signature we calculated does not match the signature you "
                       "provided. Check your AWS Secret Access Key and signing method. Consult "
                       "the service documentation for details.\n\nThe Canonical String for this "
                       f"request should have been\n'{canonical}'\n\nThe String-to-Sign should "
                       f"have been\n'{string_to_sign}'\n")
    return key_id, signed


def utf8_text(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def publish(state, params, key_id, signed):
    arn = params.get("TopicArn")
    if not arn:
        raise SnsError(400, "InvalidParameter", "Invalid parameter: TopicArn or TargetArn")
    if arn not in state.topics:
        raise SnsError(404, "NotFound", "Topic does not exist")
    message = params.get("Message")
    if not message:
        raise SnsError(400, "InvalidParameter", "Invalid parameter: Empty message")
    # Publish API reference, Message: "must be UTF-8 encoded strings".  Bytes
    # that are not UTF-8 reach here as lone surrogates (surrogateescape).
    if not utf8_text(message):
        raise SnsError(400, "InvalidParameter",
                       "Invalid parameter: Message must be UTF-8 encoded text")
    subject = params.get("Subject")
    if subject is not None:
        # Publish API reference, Subject: "must be ASCII text that begins with
        # a letter, number, or punctuation mark; must not include line breaks
        # or control characters; and must be less than 100 characters long".
        if not subject or len(subject) > 99 or subject[0] == " " \
                or any(not (0x20 <= ord(c) <= 0x7e) for c in subject):
            raise SnsError(400, "InvalidParameter",
                           "Invalid parameter: Subject must be ASCII text of fewer than 100 "
                           "characters without line breaks or control characters")
    attributes = {}
    n = 1
    while f"MessageAttributes.entry.{n}.Name" in params:
        p = f"MessageAttributes.entry.{n}."
        name = params[p + "Name"]
        dtype = params.get(p + "Value.DataType", "")
        value = params.get(p + "Value.StringValue")
        if not name or not dtype or value is None:
            raise SnsError(400, "InvalidParameter",
                           f"Invalid parameter: MessageAttributes entry {n}")
        if dtype.startswith("Number"):
            try:
                float(value)
            except ValueError:
                raise SnsError(400, "ParameterValueInvalid",
                               f"Could not cast message attribute '{name}' value to number.")
        attributes[name] = {"DataType": dtype, "StringValue": value}
        n += 1
    size = len(message.encode()) + sum(len(k.encode()) + len(v["DataType"].encode())
                                       + len(v["StringValue"].encode())
                                       for k, v in attributes.items())
    if size > MAX_MESSAGE:
        raise SnsError(400, "InvalidParameter", "Invalid parameter: Message too long")
    group, dedup = fifo_ids(state, arn, params, message)
    message_id = str(uuid.uuid4())
    with state.lock:
        now = time.time()
        duplicate = dedup is not None and now - state.dedup_seen.get((arn, dedup), -1e18) \
            < DEDUP_WINDOW_S
        sequence = None
        if arn in state.fifo_content_dedup:
            state.sequence += 1
            sequence = str(state.sequence)
        if not duplicate:
            if dedup is not None:
                state.dedup_seen[(arn, dedup)] = now
            state.published.append({
                "messageId": message_id, "topicArn": arn, "subject": subject,
                "message": message, "messageAttributes": attributes, "accessKeyId": key_id,
                "signedHeaders": signed, "time": int(now * 1000), "messageGroupId": group,
                "messageDeduplicationId": params.get("MessageDeduplicationId"),
                "sequenceNumber": sequence})
    inner = f"    <MessageId>{message_id}</MessageId>\n"
    if sequence is not None:
        inner += f"    <SequenceNumber>{sequence}</SequenceNumber>\n"
    return result_xml("Publish", inner, ""), duplicate


def fifo_ids(state, arn, params, message):
    """(MessageGroupId, deduplication id or None), checked like SNS."""
    group = params.get("MessageGroupId")
    dedup = params.get("MessageDeduplicationId")
    for name, value in (("MessageGroupId", group), ("MessageDeduplicationId", dedup)):
        if value is not None and not (0 < len(value) <= FIFO_ID_MAX and
                                      all(0x21 <= ord(c) <= 0x7e for c in value)):
            raise SnsError(400, "InvalidParameter",
                           f"Invalid parameter: {name} Reason: {name} can only include "
                           f"alphanumeric and punctuation characters. 1 to 128 in length.")
    if arn not in state.fifo_content_dedup:
        if dedup is not None:
            raise SnsError(400, "InvalidParameter",
                           "Invalid parameter: MessageDeduplicationId Reason: The request "
                           "includes MessageDeduplicationId parameter that is not valid for "
                           "this topic type")
        return group, None
    if group is None:
        raise SnsError(400, "InvalidParameter",
                       "Invalid parameter: The MessageGroupId parameter is required for FIFO "
                       "topics")
    if dedup is None:
        if not state.fifo_content_dedup[arn]:
            raise SnsError(400, "InvalidParameter",
                           "Invalid parameter: The topic should either have "
                           "ContentBasedDeduplication enabled or MessageDeduplicationId "
                           "provided explicitly")
        dedup = hashlib.sha256(message.encode()).hexdigest()
    return group, dedup


def echo_credentials_xml(state, key_id, headers, request_id):
    """A hostile answer: the request's secret key and token echoed back."""
    secret, token = state.credentials.get(key_id, ("", None))
    token = headers.get("X-Amz-Security-Token") or token or ""
    xml_refs = "".join(f"&#{ord(c)};" if not c.isalnum() else c for c in secret)
    code = escape(token or secret)
    message = (f"token {urllib.parse.quote(token, safe='')} secret {xml_refs} "
               f"raw {escape(secret)} pieces {escape(token[:12])}..{escape(secret[-10:])}")
    return (f'<ErrorResponse xmlns="{NS}">\n  <Error>\n    <Type>Sender</Type>\n'
            f'    <Code>{code}</Code>\n    <Message>{message}</Message>\n'
            f'  </Error>\n  <RequestId>{request_id}-{escape(secret)}</RequestId>\n'
            f'</ErrorResponse>\n')


def topic_attributes(params):
    """CreateTopic's Attributes.entry.N.key / .value pairs."""
    attrs, n = {}, 1
    while f"Attributes.entry.{n}.key" in params:
        attrs[params[f"Attributes.entry.{n}.key"]] = params.get(f"Attributes.entry.{n}.value", "")
        n += 1
    return attrs


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sns_local/1.0"
    # One write per response (flushed after each request) and no Nagle delay:
    # a keep-alive client must not wait on a delayed ACK between header and body.
    wbufsize = 65536
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet: tests read /_local/requests
        if self.server.verbose:
            sys.stderr.write("sns_local: " + fmt % args + "\n")

    def setup(self):
        super().setup()
        with self.server.state.lock:
            self.server.connections += 1
            self.connection_id = self.server.connections

    def send_body(self, status, body, content_type="text/xml", request_id=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if request_id:
            self.send_header("x-amzn-RequestId", request_id)
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, status, obj):
        self.send_body(status, json.dumps(obj, indent=1) + "\n", "application/json")

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def do_GET(self):
        st = self.server.state
        with st.lock:
            routes = {
                "/_local/health": lambda: {"ok": True, "port": self.server.server_address[1]},
                "/_local/published": lambda: list(st.published),
                "/_local/requests": lambda: list(st.requests),
                "/_local/topics": lambda: sorted(st.topics),
                "/_local/faults": lambda: list(st.faults),
            }
            route = routes.get(self.path.split("?")[0])
            result = route() if route else None
        if route is None:
            self.send_json(404, {"error": f"no such path {self.path}"})
        else:
            self.send_json(200, result)

    def do_DELETE(self):
        st = self.server.state
        if self.path == "/_local/faults":
            with st.lock:
                st.faults = []
            self.send_json(200, {"ok": True})
        else:
            self.send_json(404, {"error": f"no such path {self.path}"})

    def do_POST(self):
        if self.path.startswith("/_local/"):
            return self.local_post()
        return self.query_api()

    def local_post(self):
        st = self.server.state
        body = self.read_body()
        if self.path == "/_local/reset":
            with st.lock:
                st.published, st.requests, st.faults = [], [], []
                st.dedup_seen = {}
            return self.send_json(200, {"ok": True})
        if self.path == "/_local/faults":
            try:
                f = json.loads(body or b"{}")
                code = f.get("code", "Throttling")
                fault = {"code": code,
                         "status": int(f.get("status", FAULT_STATUS.get(code, 400))),
                         "count": int(f.get("count", 1)),
                         "message": f.get("message", DEFAULT_MESSAGES.get(code, code)),
                         "delay_ms": int(f.get("delay_ms", 0)),
                         "action": f.get("action")}
            except (ValueError, TypeError, AttributeError) as e:
                return self.send_json(400, {"error": f"bad fault: {e}"})
            with st.lock:
                st.faults.append(fault)
            return self.send_json(200, fault)
        self.send_json(404, {"error": f"no such path {self.path}"})

    def query_api(self):
        st = self.server.state
        request_id = str(uuid.uuid4())
        body = self.read_body()
        entry = {"time": int(time.time() * 1000), "action": None, "status": None,
                 "errorCode": None, "signatureValid": False, "connection": self.connection_id,
                 "duplicate": False}
        try:
            params = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                                 strict_parsing=False, errors="surrogateescape"))
        except UnicodeDecodeError:
            params = {}
        entry["action"] = params.get("Action")
        with st.lock:  # logged on arrival: a request the client gave up on still shows
            st.requests.append(entry)
        try:
            key_id, signed = verify_signature(st, "POST", self.path, self.headers, body)
            entry["signatureValid"] = True
            fault = st.take_fault(entry["action"])
            if fault is not None:
                if fault["delay_ms"]:
                    time.sleep(fault["delay_ms"] / 1000.0)
                if fault["code"] == "_echo_credentials":
                    entry.update(status=400, errorCode="_echo_credentials")
                    return self.send_body(400, echo_credentials_xml(st, key_id, self.headers,
                                                                    request_id))
                if fault["code"] == "_close":
                    entry.update(status=0, errorCode="_close")
                    self.close_connection = True
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                if fault["code"]:
                    raise SnsError(fault["status"], fault["code"], fault["message"])
            if params.get("Version") != "2010-03-31":
                raise SnsError(400, "InvalidParameter",
                               "Invalid parameter: Version must be 2010-03-31")
            action = params.get("Action")
            if action == "Publish":
                xml, entry["duplicate"] = publish(st, params, key_id, signed)
            elif action == "CreateTopic":
                name = params.get("Name", "")
                if not name or len(name) > 256 or not all(c.isalnum() or c in "-_" for c in
                                                           name.removesuffix(".fifo")):
                    raise SnsError(400, "InvalidParameter", "Invalid parameter: Topic Name")
                attrs = topic_attributes(params)
                with st.lock:
                    arn = st.add_topic(name, attrs.get("ContentBasedDeduplication") == "true")
                xml = result_xml("CreateTopic", f"    <TopicArn>{arn}</TopicArn>\n", "")
            elif action == "ListTopics":
                with st.lock:
                    members = "".join(f"      <member><TopicArn>{a}</TopicArn></member>\n"
                                      for a in sorted(st.topics))
                xml = result_xml("ListTopics", f"    <Topics>\n{members}    </Topics>\n", "")
            else:
                raise SnsError(400, "InvalidAction",
                               f"The action {action} is not valid for this web service.")
            xml = xml.replace("<RequestId></RequestId>", f"<RequestId>{request_id}</RequestId>")
            entry.update(status=200)
            self.send_body(200, xml, request_id=request_id)
        except SnsError as e:
            entry.update(status=e.status, errorCode=e.code)
            self.send_body(e.status, error_xml(e.code, e.message, request_id, e.status),
                           request_id=request_id)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="sns_local.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring (head -60 tests/sns_local.py) for the test hooks.")
    ap.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    ap.add_argument("--port-file", help="write the port number to this file once listening")
    ap.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"),
                    help="region of the topics and of the credential scope (default "
                         "$AWS_REGION or us-east-1)")
    ap.add_argument("--account", default="123456789012", help="account id in topic ARNs")
    ap.add_argument("--topic", action="append", default=[],
                    help="create this topic at start (repeatable)")
    ap.add_argument("--credentials", action="append", default=[],
                    help="KEY_ID:SECRET[:SESSION_TOKEN] accepted (repeatable; also "
                         "$SNS_LOCAL_CREDENTIALS, comma-separated)")
    ap.add_argument("--content-based-dedup", action="store_true",
                    help="FIFO topics created by --topic have ContentBasedDeduplication")
    ap.add_argument("--verbose", action="store_true", help="log each HTTP request to stderr")
    args = ap.parse_args(argv)
    try:
        creds = parse_credentials(args.credentials + [os.environ.get("SNS_LOCAL_CREDENTIALS", "")])
    except ValueError as e:
        ap.error(str(e))
    if not creds:
        ap.error("no credentials: pass --credentials KEY_ID:SECRET or set SNS_LOCAL_CREDENTIALS")

    server = Server((args.host, args.port), Handler)
    server.state = State(args, creds)
    server.verbose = args.verbose
    server.connections = 0
    port = server.server_address[1]
    # Before the port file, whose reader may send SIGTERM at once: the handlers (then
    # serve_forever returns at once, exit 0) and the line.  The file appears whole.
    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"sns_local listening on http://{args.host}:{port}", flush=True)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
