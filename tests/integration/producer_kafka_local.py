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
from producer_testlib import KAFKA_LOCAL, KafkaLocal, check, main, spawn


def metadata(bootstrap):
    p = subprocess.run(["kcat", "-L", "-b", bootstrap], capture_output=True, text=True,
                       timeout=30)
    check(p.returncode == 0, f"kcat -L (stderr: {p.stderr[-300:]})", 0, p.returncode)
    return p.stdout


def test_brokers_and_topics_as_asked():
    with KafkaLocal(brokers=2, topics=("iris:3", "alerts:1")) as k:
        addrs = k.bootstrap.split(",")
        check(len(addrs) == 2 and all(re.fullmatch(r"127\.0\.0\.1:\d+", a) for a in addrs),
              "bootstrap lists 2 brokers on 127.0.0.1", "2 x 127.0.0.1:PORT", k.bootstrap)
        md = metadata(k.bootstrap)
        check(" 2 brokers:" in md, "kcat sees 2 brokers", "2 brokers", md)
        check('topic "iris" with 3 partitions' in md, "topic iris:3", "3 partitions", md)
        check('topic "alerts" with 1 partitions' in md, "topic alerts:1", "1 partition", md)
        leaders = re.findall(r'partition (\d+), leader (\d+)', md.split('"iris"')[1])
        check(sorted(set(l for _, l in leaders)) == ["1", "2"],
              "iris's leaders spread over both brokers", ["1", "2"], leaders)
        with open(k.bootstrap_file) as f:
            check(f.read().strip() == k.bootstrap, "--bootstrap-file holds the same address")


def test_default_is_three_brokers_and_iris_3():
    p = spawn([KAFKA_LOCAL], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    boot = p.stdout.readline().strip()
    check(len(boot.split(",")) == 3, "default brokers", 3, boot)
    md = metadata(boot)
    check('topic "iris" with 3 partitions' in md, "default topic iris:3", "iris:3", md)
    p.send_signal(signal.SIGINT)
    check(p.wait(timeout=10) == 0, "exit status after SIGINT", 0, p.returncode)


def test_sigterm_stops_cleanly_and_removes_its_files():
    k = KafkaLocal()
    check(os.path.exists(k.bootstrap_file) and os.path.exists(k.control_path),
          "bootstrap file and control socket exist while running")
    k.proc.send_signal(signal.SIGTERM)
    start = time.monotonic()
    rc = k.proc.wait(timeout=10)
    check(rc == 0, "exit status after SIGTERM", 0, rc)
    check(time.monotonic() - start < 3, "stops promptly", "< 3 s", time.monotonic() - start)
    check(not os.path.exists(k.bootstrap_file), "bootstrap file removed on exit")
    check(not os.path.exists(k.control_path), "control socket removed on exit")
    k.stop()


def test_bad_arguments():
    cases = [(["--topic", "iris:0"], "--topic: expected NAME:PARTITIONS, got 'iris:0'"),
             (["--topic", ":3"], "--topic: expected NAME:PARTITIONS"),
             (["--brokers", "0"], "--brokers: expected 1..100, got '0'"),
             (["extra"], "unexpected argument 'extra'")]
    for args, msg in cases:
        p = subprocess.run([KAFKA_LOCAL] + args, capture_output=True, text=True, timeout=10)
        check(p.returncode == 2 and msg in p.stderr, f"kafka-local {' '.join(args)}",
              f"exit 2, {msg!r}", (p.returncode, p.stderr.strip()))
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.run([KAFKA_LOCAL, "--bootstrap-file", os.path.join(d, "no/such/dir")],
                           capture_output=True, text=True, timeout=10)
        check(p.returncode == 1 and "cannot write bootstrap file" in p.stderr,
              "unwritable --bootstrap-file", "exit 1", (p.returncode, p.stderr.strip()))


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
                check(reply.startswith(want), f"reply to '{cmd}'", want, reply)


if __name__ == "__main__":
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    main([(name, fn) for name, fn in globals().items() if name.startswith("test_")])
