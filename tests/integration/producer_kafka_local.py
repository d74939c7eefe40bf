#!/usr/bin/python3
"""Tests of build/kafka-local, the embedded Kafka: its command line, the
cluster it serves to real clients (kcat), its control socket and its
shutdown."""
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from producer_testlib import (INTEGRATION_DIR, KAFKA_LOCAL, KafkaLocal, kill_children, require, spawn)  # noqa: E402
from testlib import main  # noqa: E402


def metadata(bootstrap):
    p = subprocess.run(["kcat", "-L", "-b", bootstrap], capture_output=True, text=True,
                       timeout=30)
    require(f"kcat -L (stderr: {p.stderr[-300:]})", p.returncode == 0, 0, p.returncode)
    return p.stdout


def test_brokers_and_topics_as_asked():
    with KafkaLocal(brokers=2, topics=("iris:3", "alerts:1")) as k:
        addrs = k.bootstrap.split(",")
        require("bootstrap lists 2 brokers on 127.0.0.1",
              len(addrs) == 2 and all(re.fullmatch(r"127\.0\.0\.1:\d+", a) for a in addrs), "2 x 127.0.0.1:PORT", k.bootstrap)
        md = metadata(k.bootstrap)
        require("kcat sees 2 brokers", " 2 brokers:" in md, "2 brokers", md)
        require("topic iris:3", 'topic "iris" with 3 partitions' in md, "3 partitions", md)
        require("topic alerts:1", 'topic "alerts" with 1 partitions' in md, "1 partition", md)
        leaders = re.findall(r'partition (\d+), leader (\d+)', md.split('"iris"')[1])
        require("iris's leaders spread over both brokers",
              sorted(set(l for _, l in leaders)) == ["1", "2"], ["1", "2"], leaders)
        with open(k.bootstrap_file) as f:
            require("--bootstrap-file holds the same address", f.read().strip() == k.bootstrap)


def test_default_is_three_brokers_and_iris_3():
    p = spawn([KAFKA_LOCAL], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    boot = p.stdout.readline().strip()
    require("default brokers", len(boot.split(",")) == 3, 3, boot)
    md = metadata(boot)
    require("default topic iris:3", 'topic "iris" with 3 partitions' in md, "iris:3", md)
    p.send_signal(signal.SIGINT)
    require("exit status after SIGINT", p.wait(timeout=10) == 0, 0, p.returncode)


def test_sigterm_stops_cleanly_and_removes_its_files():
    k = KafkaLocal()
    require("bootstrap file and control socket exist while running",
          os.path.exists(k.bootstrap_file) and os.path.exists(k.control_path))
    k.proc.send_signal(signal.SIGTERM)
    start = time.monotonic()
    rc = k.proc.wait(timeout=10)
    require("exit status after SIGTERM", rc == 0, 0, rc)
    require("stops promptly", time.monotonic() - start < 3, "< 3 s", time.monotonic() - start)
    require("bootstrap file removed on exit", not os.path.exists(k.bootstrap_file))
    require("control socket removed on exit", not os.path.exists(k.control_path))
    k.stop()


def test_bad_arguments():
    cases = [(["--topic", "iris:0"], "--topic: expected NAME:PARTITIONS, got 'iris:0'"),
             (["--topic", ":3"], "--topic: expected NAME:PARTITIONS"),
             (["--brokers", "0"], "--brokers: expected 1..100, got '0'"),
             (["extra"], "unexpected argument 'extra'")]
    for args, msg in cases:
        p = subprocess.run([KAFKA_LOCAL] + args, capture_output=True, text=True, timeout=10)
        require(f"kafka-local {' '.join(args)}", p.returncode == 2 and msg in p.stderr,
              f"exit 2, {msg!r}", (p.returncode, p.stderr.strip()))
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.run([KAFKA_LOCAL, "--bootstrap-file", os.path.join(d, "no/such/dir")],
                           capture_output=True, text=True, timeout=10)
        require("unwritable --bootstrap-file",
              p.returncode == 1 and "cannot write bootstrap file" in p.stderr, "exit 1", (p.returncode, p.stderr.strip()))


def test_control_socket_rejects_bad_commands():
    with KafkaLocal() as k:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(k.control_path)
            f = s.makefile("rw")
            for cmd, want in [("ping", "ok"), ("fly away", "error: unknown command"),
                              ("request-errors produce NO_SUCH_ERROR", "error: unknown error"),
                              ("broker-down x", "error: bad broker id"),
                              ("request-errors produce NOT_LEADER_FOR_PARTITION", "ok"),
                              ("pending-errors 1 produce", "ok 0")]:
                f.write(cmd + "\n")
                f.flush()
                reply = f.readline().strip()
                require(f"reply to '{cmd}'", reply.startswith(want), want, reply)


if __name__ == "__main__":
    main(globals(), cleanup=kill_children, cwd=INTEGRATION_DIR)
