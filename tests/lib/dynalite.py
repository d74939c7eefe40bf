"""dynalite (tests/node, npm: DynamoDB's JSON API on an in-memory LevelDB) on a
loopback port of its own choosing (tests/node/dynalite_server.js binds port
0 and writes the port to a file, so no other suite can take the port between
a pick and the bind), with the alert state table created: the local DynamoDB
the fleet tests and make demo TASKS=3 use.  Installed by scripts/deps.sh (npm
ci from tests/node/package-lock.json).

    db = Dynalite(); db.create_table("iris-alert-state"); ... db.stop()
"""
import os
import socket
import time

from testlib import ROOT, ProcError, read_log, start, stop, wait_file

MODULE = os.path.join(ROOT, "tests", "node", "node_modules", "dynalite")
SERVER = os.path.join(ROOT, "tests", "node", "dynalite_server.js")
REGION = "us-east-1"
# A hang detector: Node starts in well under a second, but a loaded CI
# machine can stall it for several.
READY_TIMEOUT = 30.0


class Unreachable:
    """A loopback port nothing answers on: bound but never listened on, so
    a connection is refused, and held, so no other process can take it while
    the test runs.  Use as a context manager; self.url is its address."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()


class Dynalite:
    def __init__(self):
        if not os.path.isdir(MODULE):
            raise RuntimeError(f"{MODULE} is missing: run scripts/deps.sh (npm ci in tests/node)")
        self.dir = os.path.join(ROOT, "build", "dynalite")
        os.makedirs(self.dir, exist_ok=True)
        name = f"dynalite-{os.getpid()}-{time.monotonic_ns()}"
        self.log_path = os.path.join(self.dir, name + ".log")
        port_file = os.path.join(self.dir, name + ".port")
        # In memory; tables ACTIVE at once; 127.0.0.1 on a port the kernel picks.
        self.proc = start(["node", SERVER, port_file], self.log_path)
        try:
            self.port = int(wait_file(port_file, self.proc, "dynalite", READY_TIMEOUT))
        except ProcError as e:
            self.stop()
            raise RuntimeError(f"dynalite did not start: {e}: {self.output()}") from None
        finally:
            try:
                os.unlink(port_file)
            except OSError:
                pass
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = self._client()

    def _client(self):
        import botocore.session
        from botocore.config import Config
        s = botocore.session.get_session()
        return s.create_client("dynamodb", region_name=REGION, endpoint_url=self.url,
                               aws_access_key_id="AKIDDYNALITE", aws_secret_access_key="local",
                               config=Config(retries={"mode": "standard"}))

    def create_table(self, name):
        """The template's table: partition key pk (S), on-demand billing."""
        self.client.create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])

    def item(self, table, key):
        got = self.client.get_item(TableName=table, Key={"pk": {"S": key}}, ConsistentRead=True)
        return got.get("Item")

    def output(self):
        return read_log(self.log_path)

    def stop(self):
        stop(self.proc)
