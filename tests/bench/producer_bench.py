#!/usr/bin/python3
"""Benchmark: build/producer against kcat, each producing the same 1,000,000
iris JSON messages into one build/kafka-local cluster (3 brokers, 3
partitions per topic) in the same run, with enable.idempotence=true and
acks=all.  Rounds alternate between the two; each rate is messages over the
process's wall time (start-up, production and the final flush that waits for
every acknowledgement), and the message count is checked on the brokers.

Usage: producer_bench.py [MESSAGES] [ROUNDS]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from producer_testlib import (PRODUCER, KafkaLocal)  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
SEED = "1"


def timed(args):
    start = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if p.returncode != 0:
        sys.exit(f"bench: {args[0]} failed ({p.returncode}): {p.stderr[-1000:]}")
    return elapsed


def topic_size(bootstrap, topic, partitions=3):
    """Messages in a topic: the sum of the partitions' end offsets."""
    total = 0
    for p in range(partitions):
        r = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-p", str(p), "-o", "-1",
                            "-c", "1", "-e", "-q", "-f", "%o\n"],
                           capture_output=True, text=True, timeout=60)
        last = r.stdout.strip()
        total += int(last) + 1 if last else 0
    return total


def main():
    os.chdir(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    with tempfile.TemporaryDirectory(prefix="producer-bench-") as tmp:
        lines = os.path.join(tmp, "iris.json")
        with open(lines, "w") as f:
            subprocess.run([PRODUCER, "--dry-run", "-n", str(N), "--seed", SEED], stdout=f,
                           check=True)
        size = os.path.getsize(lines)
        with KafkaLocal(topics=("bench-producer:3", "bench-kcat:3")) as k:
            runs = {"producer": [], "kcat": []}
            for _ in range(ROUNDS):
                runs["kcat"].append(timed(
                    ["kcat", "-P", "-b", k.bootstrap, "-t", "bench-kcat", "-X",
                     "enable.idempotence=true", "-X", "acks=all", "-l", lines]))
                runs["producer"].append(timed(
                    [PRODUCER, "-b", k.bootstrap, "-t", "bench-producer", "-n", str(N), "--seed",
                     SEED, "-q"]))
            for name in runs:
                got = topic_size(k.bootstrap, "bench-" + name)
                if got != N * ROUNDS:
                    sys.exit(f"bench: {name} delivered {got} messages, expected {N * ROUNDS}")

    print(f"\nproducer benchmark: {N:,} iris messages ({size / N:.0f} bytes each) into "
          f"kafka-local (3 brokers, 3 partitions), enable.idempotence=true, acks=all; "
          f"{ROUNDS} alternating rounds; {os.cpu_count()} cores")
    header = f"{'tool':<10}" + "".join(f"{'run ' + str(i + 1) + ' s':>10}" for i in range(ROUNDS))
    print(header + f"{'median msgs/s':>16}{'best msgs/s':>14}")
    median = {}
    for name, times in runs.items():
        median[name] = N / statistics.median(times)
        print(f"{name:<10}" + "".join(f"{t:>10.3f}" for t in times) +
              f"{median[name]:>16,.0f}{N / min(times):>14,.0f}")
    ratio = median["producer"] / median["kcat"]
    print(f"ratio producer/kcat (median): {ratio:.2f}  "
          f"({'at least' if ratio >= 1 else 'BELOW'} kcat's rate)")


if __name__ == "__main__":
    main()
