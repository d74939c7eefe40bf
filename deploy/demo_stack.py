"""deploy/demo_stack.py: starts and stops the local stand-ins of the pipeline for
`make demo`, its integration test, the package test and the deploy benchmark.

  with Stack() as st:
      brokers = st.kafka(["iris:3"])
      sns_url, topic_arn = st.sns("iris-alerts")
      invoke_url = st.emulator(["build/bootstrap"], env=st.function_env(sns_url, topic_arn))

Every process gets its own process group and a log file under the stack's
temporary directory; close() (also on an exception, SIGINT or SIGTERM) stops
each group with SIGTERM, then SIGKILL, so nothing is left behind.  Everything
listens on 127.0.0.1 only.  The fake AWS credentials are random per run and
passed only through the environment, never on a command line; secrets() lists
them so callers can check that no output contains them.
"""
import json
import os
import secrets as _secrets
import shutil
import signal
import subprocess
import tempfile
import urllib.error
import urllib.request

import procs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
PY = "/usr/bin/python3"
REGION = "us-east-1"
ACCOUNT = "123456789012"


StackError = procs.ProcError


class Stack:
    def __init__(self, keep_logs=False):
        self.dir = tempfile.mkdtemp(prefix="iris-stack-")
        self.procs = []  # (name, Popen, log path)
        self.keep_logs = keep_logs
        self.key_id = "AKIDIRIS" + _secrets.token_hex(6).upper()
        self.secret = _secrets.token_urlsafe(30)
        self.token = "IRIStoken" + _secrets.token_urlsafe(40)
        self._old = {}

    # --- lifecycle -----------------------------------------------------------
    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc):
        self.close()
        for sig, old in self._old.items():
            signal.signal(sig, old)
        return False

    @staticmethod
    def _on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    def start(self, name, cmd, env=None, stdout=None, clean_env=False):
        """Starts cmd in its own process group; output to <dir>/<name>.log
        unless stdout is given.  clean_env: only PATH and LANG from this
        process's environment (as a Lambda function sees none of the host's)."""
        log = os.path.join(self.dir, name + ".log")
        p = procs.start(cmd, log, env=env, clean_env=clean_env, stdout=stdout)
        self.procs.append((name, p, log))
        return p

    @staticmethod
    def stop(p, grace=5.0):
        """SIGTERM to the process (the emulator then stops its runtime), then
        SIGKILL to whatever is left in its process group."""
        procs.stop(p, grace)

    def close(self):
        # A second Ctrl-C must not cut the cleanup short and orphan processes.
        old = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for _, p, _ in reversed(self.procs):
                self.stop(p)
            self.procs.clear()
        finally:
            for sig, h in old.items():
                signal.signal(sig, h)
        if not self.keep_logs:
            shutil.rmtree(self.dir, ignore_errors=True)

    def log(self, name):
        return procs.read_log(os.path.join(self.dir, name + ".log"))

    def logs(self):
        return {name: self.log(name) for name, _, _ in self.procs}

    def secrets(self):
        """What must never appear in any output."""
        return [self.secret, self.token]

    @staticmethod
    def wait_file(path, proc, what, timeout=30.0):
        return procs.wait_file(path, proc, what, timeout)

    # --- the stand-ins ---------------------------------------------------------
    def kafka(self, topics=("iris:3",), brokers=1):
        """build/kafka-local with these topics; returns the bootstrap address."""
        bfile = os.path.join(self.dir, "kafka.bootstrap")
        cmd = [os.path.join(BUILD, "kafka-local"), "--brokers", str(brokers),
               "--bootstrap-file", bfile]
        for t in topics:
            cmd += ["--topic", t]
        p = self.start("kafka-local", cmd, stdout=subprocess.DEVNULL)
        return self.wait_file(bfile, p, "kafka-local")

    def sns(self, topic="iris-alerts"):
        """The local SNS (verifying signatures) with one topic: (url, topic ARN)."""
        pfile = os.path.join(self.dir, "sns.port")
        p = self.start("sns-local",
                       [PY, os.path.join(ROOT, "tests", "doubles", "sns_local.py"), "--port", "0",
                        "--port-file", pfile, "--region", REGION, "--account", ACCOUNT,
                        "--topic", topic],
                       env={"SNS_LOCAL_CREDENTIALS": self.credentials()})
        port = int(self.wait_file(pfile, p, "the local SNS"))
        return f"http://127.0.0.1:{port}", f"arn:aws:sns:{REGION}:{ACCOUNT}:{topic}"

    def dynalite(self, table):
        """dynalite (tests/node, installed by scripts/deps.sh) in memory with the
        template's alert state table (key pk): its URL.  It binds a port of its
        own choosing and names it in a file (tests/node/dynalite_server.js), so
        no other process can take the port between a pick and the bind."""
        module = os.path.join(ROOT, "tests", "node", "node_modules", "dynalite")
        if not os.path.isdir(module):
            raise StackError(f"{module} is missing: run scripts/deps.sh (npm ci in tests/node)")
        pfile = os.path.join(self.dir, "dynalite.port")
        p = self.start("dynalite", ["node", os.path.join(ROOT, "tests", "node",
                                                         "dynalite_server.js"), pfile])
        url = f"http://127.0.0.1:{int(self.wait_file(pfile, p, 'dynalite'))}"
        import botocore.session
        c = botocore.session.get_session().create_client(
            "dynamodb", region_name=REGION, endpoint_url=url,
            aws_access_key_id=self.key_id, aws_secret_access_key=self.secret)
        try:
            c.create_table(
                TableName=table, BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        except Exception as e:
            raise StackError(f"dynalite did not create {table}: {e}: "
                             f"{self.log('dynalite')[-400:]}") from None
        return url

    def credentials(self):
        return f"{self.key_id}:{self.secret}:{self.token}"

    def function_env(self, sns_url, topic_arn, **extra):
        """What Lambda and the template give the bootstrap, pointed at the
        local SNS with the fake credentials."""
        env = {"SNS_TOPIC_ARN": topic_arn, "AWS_REGION": REGION,
               "AWS_ENDPOINT_URL_SNS": sns_url, "AWS_ACCESS_KEY_ID": self.key_id,
               "AWS_SECRET_ACCESS_KEY": self.secret, "AWS_SESSION_TOKEN": self.token,
               "ALERT_MODE": "threshold", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
        env.update(extra)
        return env

    def emulator(self, command, env, function_name="function", name="rapi-emulator"):
        """The Runtime API emulator running command with env and nothing of
        this process's environment (no host SSL_CERT_FILE, AWS_* ...); returns
        its base URL (the Invoke API and the Runtime API share the port)."""
        pfile = os.path.join(self.dir, name + ".port")
        p = self.start(name, [PY, os.path.join(ROOT, "tests", "doubles", "rapi_emulator.py"), "--port", "0",
                              "--port-file", pfile, "--function-name", function_name, "--",
                              *command], env=env, clean_env=True)
        port = int(self.wait_file(pfile, p, "the Runtime API emulator"))
        return f"http://127.0.0.1:{port}"


# --- small HTTP helpers ---------------------------------------------------------

def http_json(url, data=None, timeout=30.0):
    """(status, headers, parsed JSON or raw text) of a GET, or a POST of data."""
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, headers, body = r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        status, headers, body = e.code, dict(e.headers), e.read()
    try:
        return status, headers, json.loads(body)
    except ValueError:
        return status, headers, body.decode("utf-8", "replace")


def invoke(base_url, payload, function_name="function", timeout=30.0):
    """POST the Invoke API: (function error type or None, parsed response)."""
    if not isinstance(payload, (bytes, bytearray)):
        payload = json.dumps(payload).encode()
    status, headers, body = http_json(
        f"{base_url}/2015-03-31/functions/{function_name}/invocations", payload, timeout)
    ferr = {k.lower(): v for k, v in headers.items()}.get("x-amz-function-error")
    if status != 200:
        ferr = ferr or f"HTTP {status}"
    return ferr, body


def sns_published(sns_url):
    return http_json(f"{sns_url}/_local/published")[2]
