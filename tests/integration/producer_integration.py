#!/usr/bin/python3
"""Integration tests: build/producer against a real build/kafka-local over
TCP, checked by consuming with kcat."""
import collections
import json
import os
import re
import signal
import time

import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from producer_testlib import (FIELDS, INTEGRATION_DIR, KafkaLocal, LiveProducer, check_exactly_once, consume, expected_json, iris_rows, kill_children, require, run_producer, seqs, summary_elapsed)  # noqa: E402
from testlib import main  # noqa: E402

N = 10000


def true_species():
    """features text tuple -> species, from the CSV (each tuple has one species)."""
    return {(r["sepal_length"], r["sepal_width"], r["petal_length"], r["petal_width"]):
            r["species"] for r in iris_rows()}


def features_of(payload):
    """The feature texts of a payload, as written (not re-formatted floats)."""
    m = re.fullmatch(r'\{"sepalLength":([^,]+),"sepalWidth":([^,]+),"petalLength":([^,]+),'
                     r'"petalWidth":([^,]+),"species":"([^"]*)"\}', payload)
    require("payload in the demo's schema", m is not None, "{...5 fields...}", payload)
    return m.groups()[:4], m.group(5)


def test_produces_exactly_n_records_each_a_csv_row_as_json():
    with KafkaLocal() as k:
        # Paced over 2 s: key-less records follow librdkafka's sticky
        # partitioner (a new partition every 10 ms), so a run this long
        # must reach every partition.
        r = run_producer(["-b", k.bootstrap, "-n", str(N), "-r", "5000", "--seed", "42",
                          "--seq"])
        require(f"exit status (stderr: {r.err[-500:]})", r.rc == 0, 0, r.rc)
        require("summary line", f"sent {N}, delivered {N}, failed 0" in r.err, f"sent {N}, ...",
              r.err.strip().splitlines()[-1:])
        msgs = consume(k.bootstrap, "iris")
        require("messages in the topic", len(msgs) == N, N, len(msgs))
        check_exactly_once(msgs, N)
        allowed = {expected_json(row) for row in iris_rows()}
        for m in msgs:
            v = json.loads(m["payload"])
            require("JSON fields", list(v) == FIELDS, FIELDS, list(v))
            require("numeric features", all(isinstance(v[f], float) for f in FIELDS[:4]), "floats",
                  v)
            # Exactly the CSV's text: no float noise such as 5.1000000000000005.
            require("payload is a CSV row, numbers as in the CSV", m["payload"] in allowed,
                  "one of the 150 rows", m["payload"])
            require("no key by default", m["key"] is None, None, m["key"])
        parts = collections.Counter(m["partition"] for m in msgs)
        require("records spread over the 3 partitions", sorted(parts) == [0, 1, 2], [0, 1, 2],
              sorted(parts))
        require("each partition has >= 10% of the records", min(parts.values()) >= N // 10,
              f">= {N // 10}", dict(parts))


def test_queue_full_is_retried_never_dropped():
    with KafkaLocal() as k:
        n = 50000
        r = run_producer(["-b", k.bootstrap, "-n", str(n), "--seq", "-v", "-X",
                          "queue.buffering.max.messages=500"])
        require(f"exit status (stderr: {r.err[-500:]})", r.rc == 0, 0, r.rc)
        m = re.search(r"the local queue was full (\d+) time", r.err)
        require("the burst filled the 500-message queue", m is not None and int(m.group(1)) > 0,
              "> 0 waits", m and m.group(1))
        check_exactly_once(consume(k.bootstrap, "iris"), n)


def test_seed_reproduces_the_value_sequence():
    with KafkaLocal(topics=("a:3", "b:3", "c:3")) as k:
        n = 3000
        for topic, seed in (("a", "7"), ("b", "7"), ("c", "8")):
            r = run_producer(["-b", k.bootstrap, "-t", topic, "-n", str(n), "--seed", seed,
                              "--seq", "-q"])
            require(f"exit status (stderr: {r.err[-500:]})", r.rc == 0, 0, r.rc)
        seq = {}
        for topic in "abc":
            msgs = sorted(consume(k.bootstrap, topic), key=lambda m: int(m["headers"]["seq"]))
            seq[topic] = [m["payload"] for m in msgs]
        require("same --seed, same sequence of values", seq["a"] == seq["b"])
        require("another --seed, another sequence", seq["a"] != seq["c"])
        dry = run_producer(["--dry-run", "-n", str(n), "--seed", "7"])
        require("--dry-run prints the sequence sent to Kafka", dry.out.splitlines() == seq["a"])


def test_values_are_uniform_over_rows_and_species():
    r = run_producer(["--dry-run", "-n", str(N), "--seed", "3"])
    require("exit status", r.rc == 0, 0, r.rc)
    lines = r.out.splitlines()
    require("records printed", len(lines) == N, N, len(lines))
    species = collections.Counter(json.loads(l)["species"] for l in lines)
    for s, c in species.items():
        require(f"share of {s}", abs(c / N - 1 / 3) < 0.03, "1/3 +- 0.03", c / N)
    rows = collections.Counter(lines)
    require("every distinct CSV row is drawn", len(rows) == 149, 149, len(rows))


def test_rate_limit_200_per_second():
    with KafkaLocal() as k:
        start = time.monotonic()
        r = run_producer(["-b", k.bootstrap, "-r", "200", "-n", "400"])
        wall = time.monotonic() - start
        require(f"exit status (stderr: {r.err[-500:]})", r.rc == 0, 0, r.rc)
        # The run's own clock (the summary's elapsed, from the first message
        # to the last delivery), which the rate limiter paces: message 400
        # is due 399/200 s after the first, so no run is shorter; without
        # the limit 400 messages take milliseconds.  Starting ASan, connecting
        # and the final flush on a loaded machine make it longer, never
        # shorter; the upper bound says -r 200 still delivers over 100
        # messages a second.
        elapsed = summary_elapsed(r.err)
        require(f"-r 200 -n 400: paced over 399/200 s, and not much longer (elapsed {elapsed} s)",
                399 / 200 <= elapsed <= 4.0, "1.995..4 s", elapsed)
        require(f"the run ends (wall clock {wall:.2f} s, a hang check)", wall < 20, "< 20 s",
                round(wall, 2))
        require("all 400 delivered", len(consume(k.bootstrap, "iris")) == 400)


def test_drift_labels_relabels_every_record_after_the_threshold():
    truth = true_species()
    with KafkaLocal() as k:
        r = run_producer(["-b", k.bootstrap, "-n", "3000", "--seed", "5", "--seq",
                          "--drift", "after=1000,labels=1.0", "-q"])
        require(f"exit status (stderr: {r.err[-500:]})", r.rc == 0, 0, r.rc)
        msgs = consume(k.bootstrap, "iris")
        require("records", len(msgs) == 3000, 3000, len(msgs))
        for m in msgs:
            feats, label = features_of(m["payload"])
            seq = int(m["headers"]["seq"])
            if seq < 1000:
                require(f"record {seq} before the threshold keeps its label", label == truth[feats],
                      truth[feats], label)
            else:
                require(f"record {seq} after the threshold has another species",
                      label != truth[feats] and label in set(truth.values()),
                      f"not {truth[feats]}", label)


def test_drift_labels_half_relabels_about_half():
    truth = true_species()
    r = run_producer(["--dry-run", "-n", "4000", "--seed", "9", "--drift", "labels=0.5"])
    wrong = sum(1 for l in r.out.splitlines()
                if truth[features_of(l)[0]] != features_of(l)[1])
    require("share relabelled with labels=0.5", 0.45 < wrong / 4000 < 0.55, "0.5 +- 0.05",
          wrong / 4000)


def test_drift_features_adds_noise_in_the_csv_precision():
    truth = true_species()
    r = run_producer(["--dry-run", "-n", "2000", "--seed", "11",
                      "--drift", "after=500,features=0.5"])
    require("exit status", r.rc == 0, 0, r.rc)
    lines = r.out.splitlines()
    moved = 0
    for i, l in enumerate(lines):
        feats, label = features_of(l)
        for t in feats:
            require("noisy features keep one decimal and stay >= 0",
                  re.fullmatch(r"\d+\.\d", t) is not None, "d.d", t)
        if i < 500:
            require(f"record {i} before the threshold is a CSV row", feats in truth, "a row", l)
        elif feats not in truth:
            moved += 1
    require("records after the threshold moved off the CSV rows", moved > 1200, "> 1200 of 1500",
          moved)


def test_keys_species_and_uuid():
    with KafkaLocal(topics=("s:3", "u:3")) as k:
        for topic, key in (("s", "species"), ("u", "uuid")):
            r = run_producer(["-b", k.bootstrap, "-t", topic, "-n", "1000", "--key", key, "-q"])
            require(f"exit status (stderr: {r.err[-500:]})", r.rc == 0, 0, r.rc)
        for m in consume(k.bootstrap, "s"):
            require("--key species", m["key"] == json.loads(m["payload"])["species"], "species",
                  m["key"])
        keys = [m["key"] for m in consume(k.bootstrap, "u")]
        uuid4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
        require("--key uuid gives UUIDv4 keys", all(uuid4.fullmatch(x or "") for x in keys),
              "uuid4", keys[:2])
        require("distinct uuid keys", len(set(keys)) == 1000, 1000, len(set(keys)))


def test_record_timestamp_is_produce_time():
    with KafkaLocal() as k:
        before = time.time() * 1000
        r = run_producer(["-b", k.bootstrap, "-n", "100", "-q"])
        after = time.time() * 1000
        require("exit status", r.rc == 0, 0, r.rc)
        for m in consume(k.bootstrap, "iris"):
            require("timestamp is the produce time",
                  m["tstype"] == "create" and before - 1000 <= m["ts"] <= after + 1000, f"{before:.0f}..{after:.0f}", m["ts"])


def test_progress_lines_during_long_runs():
    with KafkaLocal() as k:
        r = run_producer(["-b", k.bootstrap, "-r", "1000", "-n", "2500", "--progress", "0.5"])
        require("exit status", r.rc == 0, 0, r.rc)
        lines = [l for l in r.err.splitlines() if "progress:" in l]
        require("progress lines every 0.5 s over 2.5 s", len(lines) >= 3, ">= 3", len(lines))
        require("progress line fields", re.search(r"sent \d+, delivered \d+, in flight \d+, failed 0, \d+ msgs/s",
                        lines[0]) is not None, "sent, delivered, ...",
              lines[0])
        q = run_producer(["-b", k.bootstrap, "-r", "1000", "-n", "1500", "--progress", "0.5",
                          "-q"])
        require("-q prints nothing on success", q.rc == 0 and q.err == "", "", q.err)


def test_sigint_stops_an_endless_run_and_flushes():
    with KafkaLocal() as k:
        p = LiveProducer(["-b", k.bootstrap, "-r", "2000", "--seq", "--progress", "0.2"])
        # Stopped mid-stream, once a few thousand messages went out.
        p.wait_progress("an endless run delivering", lambda c: c["delivered"] >= 2000)
        p.signal(signal.SIGINT)
        r = p.finish(timeout=30)
        err = r.err
        require(f"exit status after SIGINT (stderr: {err[-500:]})", r.rc == 0, 0, r.rc)
        m = re.search(r"sent (\d+), delivered (\d+), failed 0", err)
        require("summary: all sent were delivered", m is not None and m.group(1) == m.group(2),
              "sent == delivered", err.strip().splitlines()[-1:])
        msgs = consume(k.bootstrap, "iris")
        require("topic holds every message sent", len(msgs) == int(m.group(1)), m.group(1),
              len(msgs))
        check_exactly_once(msgs, len(msgs))


if __name__ == "__main__":
    main(globals(), cleanup=kill_children, cwd=INTEGRATION_DIR)
