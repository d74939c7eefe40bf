"""dynalite (tests/node, npm: DynamoDB's JSON API on an in-memory LevelDB) on a
free loopback port, with the alert state table created: the local DynamoDB
the fleet tests and make demo TASKS=3 use.  Installed by scripts/deps.sh (npm
ci from tests/node/package-lock.json).

    db = Dynalite(); db.create_table("iris-alert-state"); ... db.stop()
"""
import os
import socket
import time

from testlib import ROOT, start, stop, read_log

CLI = os.path.join(ROOT, "tests", "node", "node_modules", "dynalite", "cli.js")
REGION = "us-east-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dynalite:
    def __init__(self):
        if not os.path.exists(CLI):
            raise RuntimeError(f"{CLI} is missing: run scripts/deps.sh (npm ci in tests/node)")
        self.dir = os.path.join(ROOT, "build", "dynalite")
        os.makedirs(self.dir, exist_ok=True)
        self.log_path = os.path.join(self.dir, f"dynalite-{os.getpid()}-{time.monotonic_ns()}.log")
        self.port = free_port()
        # In memory (no --path); tables ACTIVE at once (--createTableMs 0).
        self.proc = start(["node", CLI, "--host", "127.0.0.1", "--port", str(self.port),
                           "--createTableMs", "0", "--deleteTableMs", "0",
                           "--updateTableMs", "0"], self.log_path)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError(f"dynalite did not start: {self.output()}")
                time.sleep(0.05)
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
