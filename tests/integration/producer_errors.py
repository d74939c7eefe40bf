#!/usr/bin/python3
"""Error tests: each user mistake or outage gives a non-zero exit and a
specific message, and a secret from a properties file never appears in any
output, even with -vv."""
import atexit
import os
import re
import shutil
import tempfile

import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from producer_testlib import (INTEGRATION_DIR, KafkaLocal, cloud_secrets, kill_children, require, run_producer, summary_elapsed)  # noqa: E402
from testlib import main  # noqa: E402

SECRET = "Sup3r-S3cret-9f2c"
HEADER = "sepal_length,sepal_width,petal_length,petal_width,species\n"
tmp = tempfile.mkdtemp(prefix="producer-errors-")
atexit.register(shutil.rmtree, tmp, ignore_errors=True)


def write(name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def expect(r, rc, pattern, what):
    require(f"{what}: exit status (output: {r.output[-600:]})", r.rc == rc, rc, r.rc)
    require(f"{what}: message", re.search(pattern, r.err) is not None, pattern, r.err[-600:])
    require(f"{what}: the secret stays out of the output", SECRET not in r.output)


def test_properties_line_without_equals_names_file_and_line():
    path = write("bad.properties", "# Confluent Cloud\nbootstrap.servers=127.0.0.1:1\n"
                 f"sasl.password={SECRET}\n\nsasl.username {SECRET}\n")
    r = run_producer(["-F", path, "-n", "1"])
    expect(r, 2, re.escape(path) + r":5: expected key=value", "line without '='")


def test_unknown_property_in_file_gives_librdkafka_message():
    path = write("unknown.properties", f"bootstrap.servers=127.0.0.1:1\nsasl.password={SECRET}\n"
                 "no.such.thing=1\n")
    r = run_producer(["-F", path, "-n", "1"])
    expect(r, 2, re.escape(path) + r':3: No such configuration property: "no.such.thing"',
           "unknown property in -F")


def test_unknown_and_invalid_x_properties():
    r = run_producer(["-b", "127.0.0.1:1", "-X", "foo.bar=1", "-n", "1"])
    expect(r, 2, r'-X: No such configuration property: "foo.bar"', "unknown -X property")
    r = run_producer(["-b", "127.0.0.1:1", "-X", "acks=maybe", "-n", "1"])
    expect(r, 2, r'-X: Invalid value .*for configuration property "(request.required.)?acks"',
           "invalid -X value")
    r = run_producer(["-b", "127.0.0.1:1", "-X", "acks", "-n", "1"])
    expect(r, 2, r"-X: expected key=value", "-X without '='")


def test_missing_properties_file_and_missing_brokers():
    r = run_producer(["-F", os.path.join(tmp, "nope.properties"), "-n", "1"])
    expect(r, 2, r"nope.properties: cannot open properties file: No such file", "missing -F")
    r = run_producer(["-n", "1"])
    expect(r, 2, r"no brokers: give -b HOST:PORT or bootstrap.servers", "no brokers")


# librdkafka checks message timeouts once a second (its scan of the queues),
# and after the first failure the producer purges what is left, polling for
# up to 1 s; the rest is room for a loaded machine.
TIMEOUT_SCAN_S = 1.0
PURGE_AND_LOAD_S = 2.5


def require_ends_within_message_timeout(r, timeout_s):
    """The run's own clock (the summary's elapsed, from the first message)
    gave up no sooner than message.timeout.ms and soon after it; the wall
    clock also counts starting a sanitizer build on a loaded machine and its
    checks at exit, so it only guards against a hang."""
    elapsed = summary_elapsed(r.err)
    most = timeout_s + TIMEOUT_SCAN_S + PURGE_AND_LOAD_S
    require(f"fails once message.timeout.ms={timeout_s * 1000:.0f} passed, within librdkafka's "
            f"1 s scan (and a little; elapsed {elapsed} s)", timeout_s <= elapsed < most,
            f"{timeout_s}..{most} s", elapsed)
    require(f"and exits (wall clock {r.elapsed:.2f} s, a hang check)", r.elapsed < 20, "< 20 s",
            round(r.elapsed, 2))


def test_unreachable_broker_fails_within_message_timeout():
    r = run_producer(["-b", "127.0.0.1:1", "-X", "message.timeout.ms=2000", "-n", "5"])
    expect(r, 1, r"5 message\(s\) not delivered: no broker reachable at 127.0.0.1:1 within "
           r"message.timeout.ms=2000", "unreachable broker")
    require_ends_within_message_timeout(r, 2.0)
    require("summary counts", re.search(r"sent 5, delivered 0, failed 5", r.err) is not None,
          "sent 5, delivered 0, failed 5", r.err[-300:])


def test_endless_run_stops_when_no_broker_is_reachable():
    r = run_producer(["-b", "127.0.0.1:1", "-X", "message.timeout.ms=1000", "-r", "100"],
                     timeout=30)
    expect(r, 1, r"message\(s\) not delivered: no broker reachable at 127.0.0.1:1 within "
           r"message.timeout.ms=1000", "unreachable broker without -n")
    require_ends_within_message_timeout(r, 1.0)


def test_bad_csv_rows_name_file_and_line():
    cases = [
        ("num.csv", HEADER + "5.1,3.5,1.4,0.2,setosa\n5.1,abc,1.4,0.2,setosa\n",
         r"num.csv:3: sepal_width: 'abc' is not a number"),
        ("fields.csv", HEADER + "5.1,3.5,1.4,0.2\n", r"fields.csv:2: expected 5 comma-separated "
         r"fields, got 4"),
        ("float.csv", HEADER + "5.1,3.5,1.4,.2,setosa\n",
         r"float.csv:2: petal_width: '.2' is not a number"),
        ("species.csv", HEADER + "5.1,3.5,1.4,0.2,\n", r"species.csv:2: species is empty"),
        ("header.csv", "a,b,c,d,e\n5.1,3.5,1.4,0.2,setosa\n", r"header.csv:1: expected the "
         r"header sepal_length,sepal_width,petal_length,petal_width,species"),
        ("empty.csv", HEADER, r"empty.csv: no data rows after the header"),
    ]
    for name, text, pattern in cases:
        r = run_producer(["--data", write(name, text), "-b", "127.0.0.1:1", "-n", "1"])
        expect(r, 2, pattern, name)
    r = run_producer(["--data", os.path.join(tmp, "none.csv"), "--dry-run", "-n", "1"])
    expect(r, 2, r"none.csv: cannot open: No such file", "missing --data")


def test_bad_options_are_usage_errors():
    cases = [
        (["-n", "ten"], r"-n: expected a message count, got 'ten'"),
        (["-r", "0"], r"-r: expected messages per second > 0"),
        (["--seed", "-1"], r"--seed: expected a non-negative integer"),
        (["--drift", "after=10"], r"--drift: give labels=P and/or features=SD"),
        (["--drift", "labels=1.5"], r"--drift: labels: expected a probability 0..1"),
        (["--drift", "speed=2"], r"--drift: unknown key 'speed'"),
        (["--key", "offset"], r"--key: expected species, uuid or none"),
        (["--bogus"], r"unknown option --bogus"),
        (["-b"], r"-b: missing argument"),
    ]
    for args, pattern in cases:
        expect(run_producer(["--dry-run"] + args), 2, pattern, " ".join(args))


def test_help_lists_every_option():
    r = run_producer(["--help"])
    require("--help exit status", r.rc == 0, 0, r.rc)
    for opt in ["-b", "-t", "-F", "-X", "-n", "-r", "--seed", "--drift", "--data", "--key",
                "--seq", "--dry-run", "-q", "-v", "--progress", "--flush-timeout"]:
        require(f"--help mentions {opt}",
              re.search(r"(^|\s|, )" + re.escape(opt) + r"[ ,]", r.out, re.M) is not None)


def test_secret_never_printed_even_with_debug_logs():
    with KafkaLocal() as k:
        path = write("sasl.properties", "# from Confluent Cloud\n"
                     f"bootstrap.servers={k.bootstrap}\nsecurity.protocol=SASL_PLAINTEXT\n"
                     "sasl.mechanisms=PLAIN\nsasl.username=alice\n"
                     f"sasl.password={SECRET}\n"
                     "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule "
                     f"required username='alice' password='{SECRET}';\n")
        # kafka-local does not speak SASL: the handshake fails, which is
        # reported as an authentication failure right away.
        r = run_producer(["-F", path, "-n", "3", "-vv", "-X", "message.timeout.ms=3000"])
        expect(r, 1, r"authentication failed: .*check sasl.username, sasl.password",
               "SASL against a broker without SASL")
        require("-v shows the property, not its value", "sasl.password=[redacted]" in r.err,
              "sasl.password=[redacted]", [l for l in r.err.splitlines() if "sasl.pass" in l])
        require("Java-only property is named and skipped", "ignoring sasl.jaas.config" in r.err)
        require("-vv printed librdkafka's debug log", len(r.err.splitlines()) > 20, "> 20 lines",
              len(r.err.splitlines()))
        r = run_producer(["-b", k.bootstrap, "-X", f"sasl.password={SECRET}", "-n", "3", "-vv"])
        require(f"exit status (output: {r.output[-600:]})", r.rc == 0, 0, r.rc)
        require("a secret given with -X stays out of the output", SECRET not in r.output)


def test_security_property_values_are_masked_in_librdkafka_lines():
    # librdkafka's CONFWARN echoes sasl.mechanisms; rd_kafka_new's error quotes it
    r = run_producer(["-b", "127.0.0.1:1", "-X", f"sasl.mechanisms={SECRET}", "-n", "1",
                      "-X", "message.timeout.ms=500"])
    require("librdkafka's CONFWARN line is shown with the value masked",
          "CONFWARN" in r.err and "set to `***`" in r.err, "set to `***`",
          [l for l in r.err.splitlines() if "CONFWARN" in l])
    require("the value of sasl.mechanisms stays out of the output", SECRET not in r.output)
    r = run_producer(["-b", "127.0.0.1:1", "-X", "security.protocol=SASL_PLAINTEXT",
                      "-X", f"sasl.mechanisms={SECRET}", "-n", "1"])
    expect(r, 2, r"cannot create the Kafka producer: Unsupported SASL mechanism: \*\*\*",
           "rd_kafka_new's error")
    r = run_producer(["-b", "127.0.0.1:1", "-X", "security.protocol=ssl",
                      "-X", f"ssl.key.location=/tmp/{SECRET}.pem", "-n", "1"])
    expect(r, 2, r"ssl.key.location", "a missing ssl.key.location file")


def test_broker_url_userinfo_is_masked_everywhere():
    for brokers in (f"user:{SECRET}@127.0.0.1:1", f"sasl_ssl://user:{SECRET}@127.0.0.1:1"):
        r = run_producer(["-b", brokers, "-n", "1", "-X", "message.timeout.ms=1000", "-v"])
        expect(r, 1, r"\*\*\*@127.0.0.1:1", f"-b {brokers.replace(SECRET, 'SECRET')}")
    path = write("userinfo.properties", f"bootstrap.servers=bob:{SECRET}@127.0.0.1:1\n")
    r = run_producer(["-F", path, "-n", "1", "-X", "message.timeout.ms=1000", "-vv"])
    expect(r, 1, r"\*\*\*@127.0.0.1:1", "userinfo in bootstrap.servers from -F")


def require_hidden(what, r, secret):
    """The secret, and any 12-character piece of it, is absent from stdout and stderr."""
    pieces = [secret[i:i + 12] for i in range(0, len(secret) - 11, 4)]
    leaked = [p for p in pieces if p in r.out or p in r.err]
    require(f"{what}: the secret stays out of stdout and stderr", not leaked, "no piece of it",
            [line for line in r.output.splitlines() if any(p in line for p in leaked)][:3])


def test_cloud_secrets_are_masked_in_librdkafka_errors_for_a_bad_broker_address():
    # librdkafka quotes the whole address in its resolve error, in "all brokers
    # are down" and in the final "not delivered" line.
    for secret in cloud_secrets(4):
        for brokers in (f"ABCDEFGHIJKLMNOP:{secret}@broker.invalid:9092",
                        f"sasl_ssl://ABCDEFGHIJKLMNOP:{secret}@broker.invalid:9092"):
            # The resolve error needs the name server's answer before the
            # message times out: 5 s leaves room for a slow one.  SASL_SSL
            # without a mechanism never resolves.
            resolves = not brokers.startswith("sasl_ssl:")
            timeout = 5000 if resolves else 1500
            r = run_producer(["-b", brokers, "-n", "1", "-X", f"message.timeout.ms={timeout}",
                              "-v"])
            if resolves:
                expect(r, 1, r"Failed to resolve '\*\*\*@broker.invalid:9092", "resolve error")
            require("the run ends with the 'not delivered' line, masked",
                    re.search(r"not delivered: no broker reachable at (sasl_ssl://)?\*\*\*@broker"
                              r"\.invalid:9092", r.err) is not None, "***@broker.invalid",
                    r.err[-400:])
            require_hidden(f"-b {brokers.replace(secret, 'SECRET')}", r, secret)
        path = write("cloud.properties",
                     f"bootstrap.servers=ABCDEFGHIJKLMNOP:{secret}@broker.invalid:9092\n"
                     "security.protocol=SASL_SSL\nsasl.mechanisms=PLAIN\n"
                     f"sasl.username=ABCDEFGHIJKLMNOP\nsasl.password={secret}\n"
                     "ssl.key.password=" + secret[::-1] + "\n"
                     f"basic.auth.user.info=ABCDEFGHIJKLMNOP:{secret[:40]}\n")
        r = run_producer(["-F", path, "-n", "1", "-X", "message.timeout.ms=1500", "-vv"])
        expect(r, 1, r"not delivered", "a Confluent Cloud properties file, bad address")
        for s in (secret, secret[::-1], secret[:40]):
            require_hidden("-F with Confluent Cloud secrets, -vv", r, s)


def test_cloud_secrets_are_masked_against_kafka_local():
    with KafkaLocal() as k:
        for secret in cloud_secrets(3):
            path = write("sasl.properties",
                         f"bootstrap.servers={k.bootstrap}\nsecurity.protocol=SASL_PLAINTEXT\n"
                         "sasl.mechanisms=PLAIN\nsasl.username=ABCDEFGHIJKLMNOP\n"
                         f"sasl.password={secret}\n")
            r = run_producer(["-F", path, "-n", "2", "-vv", "-X", "message.timeout.ms=3000"])
            expect(r, 1, r"authentication failed", "SASL against kafka-local")
            require_hidden("SASL against kafka-local, -vv", r, secret)
            r = run_producer(["-b", k.bootstrap, "-X", f"sasl.password={secret}", "-n", "3",
                              "-vv"])
            require(f"exit status (output: {r.output[-600:]})", r.rc == 0, 0, r.rc)
            require_hidden("delivered to kafka-local with -X sasl.password, -vv", r, secret)


def test_help_names_no_default_broker():
    r = run_producer(["--help"])
    require("--help does not promise a localhost default", "localhost" not in r.out, "no localhost",
            [line for line in r.out.splitlines() if "localhost" in line])
    r = run_producer(["-n", "1"])
    expect(r, 2, r"no brokers: give -b HOST:PORT or bootstrap.servers", "no -b and no -F")


def test_binary_properties_file_is_rejected_with_file_line_column():
    path = os.path.join(tmp, "binary.properties")
    with open(path, "wb") as f:
        f.write(b"bootstrap.servers=127.0.0.1:1\nsasl.password=" + SECRET.encode()
                + b"\x00\x01\x02\xff\n")
    r = run_producer(["-F", path, "-n", "1"])
    expect(r, 2, re.escape(path) + r":2:32: a NUL byte \(0x00\): this is not a text properties "
           r"file", "NUL byte in -F")
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    r = run_producer(["-F", path, "-n", "1"])
    expect(r, 2, re.escape(path) + r":1:1: a byte that is not UTF-8 \(0x89\)", "a PNG as -F")


if __name__ == "__main__":
    main(globals(), cleanup=kill_children, cwd=INTEGRATION_DIR)
