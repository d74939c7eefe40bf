#!/usr/bin/python3
"""Fault tests: the producer against build/kafka-local while the mock cluster
fails requests, loses a broker, moves leaders or slows down.  Every record
carries its sequence number in a header; each test checks that all N arrive
exactly once, in order within each partition (idempotence)."""
import os
import re
import signal
import threading
import time

import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from producer_testlib import (INTEGRATION_DIR, KafkaLocal, LiveProducer, check_exactly_once, consume, kill_children, require)  # noqa: E402
from testlib import main  # noqa: E402

N = 10000
RATE = 5000  # N records over 2 s, so faults land mid-run
# The schedules below count from the first confirmed delivery, about 0.1 s
# into those 2 s.


def produce_with_faults(k, schedule, extra=(), heal=()):
    """Runs the producer (N records at RATE/s, with seq headers) while a
    thread applies schedule: [(seconds after the first confirmed delivery,
    [control commands])]; then sends the heal commands and checks the topic
    holds every record exactly once.  The clock starts at that delivery, not
    at the start of the process, so on a loaded machine (a slow start of the
    ASan build) the faults still land mid-run."""
    p = LiveProducer(["-b", k.bootstrap, "-n", str(N), "-r", str(RATE), "--seq", "--seed",
                      "1", "--progress", "0.1"] + list(extra))
    errors = []

    def inject():
        try:
            p.wait_progress("a delivery confirmed before the faults", lambda c: c["delivered"] > 0)
            start = time.monotonic()
            for at, cmds in schedule:
                time.sleep(max(0, at - (time.monotonic() - start)))
                k.control(*cmds)
        except Exception as e:  # reported by the test below
            errors.append(e)

    t = threading.Thread(target=inject)
    t.start()
    r = p.finish(timeout=120)
    t.join()
    err = r.err
    require(f"fault injection: {errors}", not errors)
    require(f"producer exit status (stderr: {err[-800:]})", r.rc == 0, 0, r.rc)
    require("summary", f"sent {N}, delivered {N}, failed 0" in err, f"sent {N}, delivered {N}",
          err.strip().splitlines()[-1:])
    if heal:
        k.control(*heal)
    msgs = consume(k.bootstrap, "iris")
    check_exactly_once(msgs, N)
    return err


def pending(k, broker):
    return int(k.control(f"pending-errors {broker} produce"))


RETRIABLE = ["NOT_LEADER_FOR_PARTITION", "REQUEST_TIMED_OUT", "NOT_ENOUGH_REPLICAS",
             "LEADER_NOT_AVAILABLE", "NOT_ENOUGH_REPLICAS_AFTER_APPEND", "_TRANSPORT"]


def test_produce_request_errors_are_retried_exactly_once():
    with KafkaLocal() as k:
        errs = ",".join(f"{e}:0" for e in RETRIABLE)
        # The first produce request to each broker already fails.
        k.control(*[f"broker-errors {b} produce {errs}" for b in (1, 2, 3)])
        mid_run = [f"request-errors produce {','.join(RETRIABLE * 2)}"]
        produce_with_faults(k, [(0.4, mid_run), (1.1, mid_run)])
        for b in (1, 2, 3):
            require(f"broker {b}: every injected error was hit", pending(k, b) == 0, 0,
                  pending(k, b))


def test_broker_down_and_up_mid_run():
    with KafkaLocal() as k:
        produce_with_faults(k, [(0.2, ["broker-down 2"]), (0.9, ["broker-up 2"]),
                                (1.1, ["broker-down 3"]), (1.6, ["broker-up 3"])])


def test_leader_moves_mid_run():
    with KafkaLocal() as k:
        produce_with_faults(k, [(0.2, ["leader iris 0 2", "leader iris 1 3"]),
                                (0.9, ["leader iris 2 1", "leader iris 0 3"])])


def test_added_round_trip_time():
    with KafkaLocal() as k:
        produce_with_faults(k, [(0.0, ["rtt -1 300"]), (1.2, ["rtt 1 0"])], heal=["rtt -1 0"])


def test_slow_replies_on_one_broker():
    with KafkaLocal() as k:
        slow = ",".join(["NO_ERROR:400"] * 5)
        produce_with_faults(k, [(0.2, [f"broker-errors 1 produce {slow}"])])
        require("every delayed reply was served", pending(k, 1) == 0, 0, pending(k, 1))


def test_outage_longer_than_message_timeout_is_reported():
    with KafkaLocal() as k:
        # An endless run, stopped once the brokers are back (--flush-timeout
        # bounds the wait for what is still in flight then).
        p = LiveProducer(["-b", k.bootstrap, "-r", "1000", "--progress", "0.2",
                          "--flush-timeout", "2", "-X", "message.timeout.ms=1000"])
        # The outage follows a confirmed delivery: with none at all the
        # producer rightly reports "no broker reachable" instead.
        p.wait_progress("a delivery confirmed before the outage", lambda c: c["delivered"] > 0)
        k.control("broker-down -1")
        # Down until messages failed: longer than message.timeout.ms.
        down = p.wait_progress("messages time out during the outage", lambda c: c["failed"] > 0)
        k.control("broker-up -1")
        p.wait_progress("deliveries resume once the brokers are back",
                        lambda c: c["delivered"] > down["delivered"])
        p.signal(signal.SIGINT)
        r = p.finish()
        err = r.err
        require(f"exit status when messages failed (stderr: {err[-800:]})", r.rc == 1, 1, r.rc)
        require("names the failure",
              "not delivered" in err and "Message timed out" in err, "... not delivered ... Message timed out", err[-800:])
        m = re.search(r"sent (\d+), delivered (\d+), failed (\d+)", err)
        require("summary line", m is not None, "sent N, delivered N, failed N", err[-300:])
        sent, delivered, failed = map(int, m.groups())
        require("every message has one outcome", failed > 0 and sent == delivered + failed,
              f"failed > 0 and {sent} == {delivered} + {failed}", (sent, delivered, failed))
        consumed = len(consume(k.bootstrap, "iris"))
        require("every message reported delivered is in the topic", consumed >= delivered,
              f">= {delivered}", consumed)


def test_sigint_during_outage_waits_only_the_flush_timeout():
    with KafkaLocal() as k:
        p = LiveProducer(["-b", k.bootstrap, "-r", "1000", "--progress", "0.2",
                          "--flush-timeout", "1"])
        p.wait_progress("a delivery confirmed before the outage", lambda c: c["delivered"] > 0)
        k.control("broker-down -1")
        p.wait_progress("messages in flight during the outage", lambda c: c["in_flight"] > 0)
        p.signal(signal.SIGINT)
        start = time.monotonic()
        r = p.finish(timeout=30)
        waited = time.monotonic() - start
        err = r.err
        require("says what it waits for",
                re.search(r"stopping: waiting up to 1 s for [1-9]\d* message\(s\) in flight", err)
                is not None, "stopping: waiting up to 1 s for N message(s)", err[-500:])
        # At least the 1 s it waits for the messages in flight (the outage
        # keeps them there).  At most 8 s: less than the 10 s default of
        # --flush-timeout, so the option was honoured, and room for ASan's
        # leak check at exit on a loaded machine.
        require(f"exits after about --flush-timeout 1 (waited {waited:.2f} s)",
                0.8 <= waited <= 8.0, "0.8..8 s", round(waited, 2))
        require(f"exit status with undelivered messages (stderr: {err[-500:]})", r.rc == 1,
              1, r.rc)
        require("says how many were given up",
              re.search(r"gave up on \d+ message\(s\) still in flight", err) is not None, "gave up on N message(s)", err[-500:])


if __name__ == "__main__":
    main(globals(), cleanup=kill_children, cwd=INTEGRATION_DIR)
