"""Integration tests for `train --from-kafka`: the real build/train consumes
records that the real build/producer wrote to build/kafka-local (and bad
records written with kcat), over TCP on 127.0.0.1."""
import hashlib
import json
import os
import subprocess
import tempfile

import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from producer_testlib import (ROOT, KafkaLocal, cloud_secrets, consume, kill_children, require, run_producer, spawn)  # noqa: E402
from testlib import main  # noqa: E402
from registry_testlib import SchemaRegistry  # noqa: E402

TRAIN = os.path.join(ROOT, "build", "train")
N = 300


def train(*args, timeout=120):
    """Runs build/train to completion; returns (exit status, stdout + stderr)."""
    p = spawn([TRAIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
              stdin=subprocess.DEVNULL, cwd=ROOT)
    out, _ = p.communicate(timeout=timeout)
    return p.returncode, out


def kcat_produce(bootstrap, topic, lines, partition=0):
    p = subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-p", str(partition)],
                       input="".join(line + "\n" for line in lines), text=True,
                       capture_output=True, timeout=60)
    require(f"kcat -P (stderr: {p.stderr.strip()[-300:]})", p.returncode == 0, 0, p.returncode)


# Every spelling of model/schema.h, in any field order; numeric strings; Iris- labels.
GOOD = ['{"sepalLength":5.1,"sepalWidth":3.5,"petalLength":1.4,"petalWidth":0.2,"species":"setosa"}',
        '{"sepalLength":6.4,"sepalWidth":3.2,"petalLength":4.5,"petalWidth":1.5,"species":"versicolor"}',
        '{"sepal_length":6.3,"sepal_width":3.3,"petal_length":6.0,"petal_width":2.5,"species":"Iris-virginica"}',
        '{"SPECIES":"VIRGINICA","PETAL_WIDTH":"2.1","SEPALLENGTH":7.1,"Sepal.Width":3.0,"petal-length":5.9}']


def cluster(records=True):
    """A fresh kafka-local (the test runner ends every process after each test);
    with records, the producer has written N records to iris (3 partitions)."""
    kl = KafkaLocal(topics=("iris:3",))
    if records:
        r = run_producer(["-b", kl.bootstrap, "-t", "iris", "-n", str(N), "--seed", "5", "-q"])
        if r.rc != 0:
            kl.stop()
            require(f"producer exit status ({r.output[-500:]})", False, 0, r.rc)
    return kl


def artifact(path):
    with open(path) as f:
        return json.load(f)


def test_trains_on_every_record_of_the_topic():
    with cluster() as kl:
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "m.json")
            rc, text = train("--from-kafka", "-b", kl.bootstrap, "-t", "iris", "-r", "2", "-o", out)
            require(f"train exit status ({text[-1500:]})", rc == 0, 0, rc)
            require("leaderboard header names the topic and rows", f"kafka:iris ({N} rows" in text,
                  f"kafka:iris ({N} rows", text[:200])
            a = artifact(out)
            data = a["training"]["data"]
            require("training.data.rows", data["rows"] == N, N, data["rows"])
            require("training.data.source", data["source"] == "kafka:iris", "kafka:iris", data["source"])
            # The class counts are those of the records on the topic, counted here.
            msgs = consume(kl.bootstrap, "iris")
            counts = {}
            for m in msgs:
                s = json.loads(m["payload"])["species"]
                counts[s] = counts.get(s, 0) + 1
            require("training.data.class_counts", data["class_counts"] == counts, counts,
                  data["class_counts"])
            # The hash is the SHA-256 of the values in (partition, offset) order, each + "\n".
            h = hashlib.sha256()
            for m in sorted(msgs, key=lambda m: (m["partition"], m["offset"])):
                h.update(m["payload"].encode() + b"\n")
            require("training.data.sha256", data["sha256"] == h.hexdigest(), h.hexdigest(),
                  data["sha256"])
            lead = a["training"]["cv"]["mean_per_class_error"]
            require("leader's mean per-class error on the stream", lead < 0.05, "< 0.05", lead)


def test_same_topic_same_artifact_bytes():
    with cluster() as kl:
        with tempfile.TemporaryDirectory() as d:
            texts = []
            for i in range(2):
                out = os.path.join(d, f"m{i}.json")
                rc, text = train("--from-kafka", "-b", kl.bootstrap, "-t", "iris", "-r", "2",
                                 "-j", str(i + 1), "-o", out)
                require(f"train exit status ({text[-1500:]})", rc == 0, 0, rc)
                with open(out, "rb") as f:
                    texts.append(f.read())
            require("two trainings on the same topic write the same bytes", texts[0] == texts[1])


def test_max_reads_that_many_records_spread_over_partitions():
    with cluster() as kl:
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "m.json")
            rc, text = train("--from-kafka", "-b", kl.bootstrap, "-t", "iris", "--max", "90",
                             "-r", "2", "-o", out)
            require(f"train exit status ({text[-1500:]})", rc == 0, 0, rc)
            data = artifact(out)["training"]["data"]
            require("training.data.rows with --max 90", data["rows"] == 90, 90, data["rows"])
            # The first records of each partition, 90 split evenly (30 each when every
            # partition has 30; a shorter one leaves the rest to the others in order).
            msgs = consume(kl.bootstrap, "iris")
            size = {}
            for m in msgs:
                size[m["partition"]] = size.get(m["partition"], 0) + 1
            share, left = {p: 0 for p in size}, 90
            while left > 0 and any(share[p] < size[p] for p in size):
                open_ = [p for p in sorted(size) if share[p] < size[p]]
                each = max(1, left // len(open_))
                for p in open_:
                    add = min(each, size[p] - share[p], left)
                    share[p] += add
                    left -= add
            h = hashlib.sha256()
            for m in sorted(msgs, key=lambda m: (m["partition"], m["offset"])):
                if m["offset"] < share[m["partition"]]:
                    h.update(m["payload"].encode() + b"\n")
            require(f"sha256 of the first {share} records", data["sha256"] == h.hexdigest(),
                  h.hexdigest(), data["sha256"])


def test_bad_records_are_named_by_topic_partition_and_offset():
    with cluster(records=False) as kl:
        cases = [
            ("badnum", '{"sepalLength":"x","sepalWidth":3,"petalLength":1,"petalWidth":0.2,"species":"setosa"}',
             'kafka topic badnum partition 0 offset 20: field "sepalLength": expected a number'),
            ("hexnum", '{"sepalLength":"0x3","sepalWidth":3,"petalLength":1,"petalWidth":0.2,"species":"setosa"}',
             'kafka topic hexnum partition 0 offset 20: field "sepalLength": expected a number'),
            ("nolabel", '{"sepalLength":5,"sepalWidth":3,"petalLength":1,"petalWidth":0.2}',
             'kafka topic nolabel partition 0 offset 20: field "species": missing (training needs '
             'labelled records)'),
            ("numlabel", '{"sepalLength":5,"sepalWidth":3,"petalLength":1,"petalWidth":0.2,"species":2}',
             'kafka topic numlabel partition 0 offset 20: field "species": expected a string label'),
            ("nofeature", '{"sepalLength":5,"sepalWidth":3,"petalLength":1,"species":"setosa"}',
             'kafka topic nofeature partition 0 offset 20: field "petalWidth": missing (the first '
             'record has it)'),
            ("notjson", 'hello', 'kafka topic notjson partition 0 offset 20: value is not a JSON object'),
        ]
        for topic, bad, want in cases:
            kcat_produce(kl.bootstrap, topic, GOOD * 5 + [bad] + GOOD)
            rc, text = train("--from-kafka", "-b", kl.bootstrap, "-t", topic, "-r", "1", "-n")
            require(f"topic {topic}", rc == 1 and want in text, f"exit 1 and '{want}'",
                  f"exit {rc}: {text[-500:]}")


def test_too_few_records_of_a_class_is_refused():
    with cluster(records=False) as kl:
        kcat_produce(kl.bootstrap, "few", GOOD * 3)
        rc, text = train("--from-kafka", "-b", kl.bootstrap, "-t", "few", "-n")
        want = ('kafka topic few: class "setosa" has only 3 records (the last at partition 0 '
                'offset 8), fewer than the 5 cross-validation folds')
        require("3 records of each class with 5 folds", rc == 1 and want in text,
              f"exit 1 and '{want}'", f"exit {rc}: {text[-500:]}")


def test_any_label_is_a_class_and_all_spellings_are_one_feature():
    with cluster(records=False) as kl:
        rose = '{"sepalLength":5,"sepalWidth":3,"petalLength":1,"petalWidth":0.2,"species":"rose"}'
        kcat_produce(kl.bootstrap, "roses", GOOD * 5 + [rose] * 5)
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "m.json")
            rc, text = train("--from-kafka", "-b", kl.bootstrap, "-t", "roses", "-r", "1",
                             "-f", "lda", "-o", out)
            require(f"train exit status ({text[-1500:]})", rc == 0, 0, rc)
            a = artifact(out)
        want = ["rose", "setosa", "versicolor", "virginica"]
        require("classes: the labels, sorted, Iris- merged", a["classes"] == want, want, a["classes"])
        feats = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
        require("features: the first record's, in snake_case", a["features"] == feats, feats,
                a["features"])
        counts = {"rose": 5, "setosa": 5, "versicolor": 5, "virginica": 10}
        require("class counts", a["training"]["data"]["class_counts"] == counts, counts,
                a["training"]["data"]["class_counts"])


def test_properties_file_errors_name_the_line():
    with cluster(records=True) as kl:
        with tempfile.TemporaryDirectory() as d:
            props = os.path.join(d, "client.properties")
            with open(props, "w") as f:
                f.write("# Confluent client properties\n"
                        "key.serializer=org.apache.kafka.common.serialization.StringSerializer\n"
                        "socket.timeout.ms=notanumber\n")
            rc, text = train("--from-kafka", "-b", kl.bootstrap, "-t", "iris", "-F", props, "-n")
            require("a bad property value",
                  rc == 1 and f"{props}:3: property \"socket.timeout.ms\"" in text, f"exit 1 and '{props}:3: property ...'",
                  f"exit {rc}: {text[-500:]}")
            require("a Java-only property is skipped with a warning",
                  f"{props}:2: ignoring property \"key.serializer\"" in text, "a warning", text[-500:])


def require_hidden(what, text, secret):
    pieces = [secret[i:i + 12] for i in range(0, len(secret) - 11, 4)]
    leaked = [line for line in text.splitlines() if any(p in line for p in pieces)]
    require(f"{what}: the secret stays out of stdout and stderr", not leaked, "no piece of it",
            leaked[:3])


def test_cloud_secrets_are_masked_in_librdkafka_lines_and_errors():
    # librdkafka's own log lines quote the address ("Failed to resolve"), and
    # so does the trainer's metadata error.
    with tempfile.TemporaryDirectory() as d:
        props = os.path.join(d, "client.properties")
        for secret in cloud_secrets(2):
            with open(props, "w") as f:
                f.write("security.protocol=SASL_SSL\nsasl.mechanisms=PLAIN\n"
                        f"sasl.username=ABCDEFGHIJKLMNOP\nsasl.password={secret}\n")
            rc, text = train("--from-kafka", "-b",
                             f"ABCDEFGHIJKLMNOP:{secret}@broker.invalid:9092", "-t", "iris",
                             "-F", props, "-o", os.path.join(d, "m.json"))
            require("a bad broker address fails with the address masked",
                    rc == 1 and "Failed to resolve '***@broker.invalid:9092" in text
                    and "train: kafka ***@broker.invalid:9092: cannot read the metadata" in text,
                    "exit 1, masked resolve and metadata errors", f"exit {rc}: {text[-600:]}")
            require_hidden("bad broker address", text, secret)
    with cluster() as kl:
        with tempfile.TemporaryDirectory() as d:
            props = os.path.join(d, "client.properties")
            secret = cloud_secrets(1)[0]
            with open(props, "w") as f:
                f.write(f"sasl.password={secret}\nssl.key.password={secret[::-1]}\n"
                        "debug=broker,security\n")
            rc, text = train("--from-kafka", "-b", kl.bootstrap, "-t", "iris", "-F", props,
                             "-o", os.path.join(d, "m.json"))
            require("trains with unused secrets configured and librdkafka's debug log on",
                    rc == 0 and "%7|" in text, "exit 0 and debug lines", f"exit {rc}: {text[-400:]}")
            require_hidden("against kafka-local, debug log", text, secret)
            require_hidden("against kafka-local, debug log", text, secret[::-1])


def without_provenance(a):
    """The artifact without what names its data source (topic, hash)."""
    a = json.loads(json.dumps(a))
    a["training"]["data"].pop("source", None)
    a["training"]["data"].pop("sha256", None)
    return a


def test_trains_on_each_schema_registry_format_as_on_json():
    # The same seed gives the same rows in every format; one partition keeps
    # their order, so each format trains the model the JSON topic trains.
    topics = ("json:1", "avro:1", "json_sr:1", "protobuf:1")
    with KafkaLocal(topics=topics) as kl, SchemaRegistry(users=["KEY:s3/cr+et"]) as reg:
        with tempfile.TemporaryDirectory() as d:
            props = reg.properties(os.path.join(d, "client.properties"))
            rows = [json.loads(line) for line in run_producer(
                ["--dry-run", "-n", str(N), "--seed", "5"]).out.splitlines()]
            counts = {}
            for row in rows:
                counts[row["species"]] = counts.get(row["species"], 0) + 1
            models = {}
            for fmt in ("json", "avro", "json_sr", "protobuf"):
                r = run_producer(["-b", kl.bootstrap, "-t", fmt, "-F", props, "--format", fmt,
                                  "-n", str(N), "--seed", "5", "-q"])
                require(f"{fmt}: producer exit status ({r.err[-400:]})", r.rc == 0, 0, r.rc)
                out = os.path.join(d, f"{fmt}.json")
                rc, text = train("--from-kafka", "-b", kl.bootstrap, "-t", fmt, "-F", props,
                                 "-r", "2", "-o", out)
                require(f"{fmt}: train exit status ({text[-800:]})", rc == 0, 0, rc)
                require(f"{fmt}: the registry's secret stays out of the output",
                        "s3/cr+et" not in text, "no secret", text[-300:])
                models[fmt] = artifact(out)
                data = models[fmt]["training"]["data"]
                require(f"{fmt}: rows and class counts are the drawn rows'",
                        (data["rows"], data["class_counts"]) == (N, counts), (N, counts),
                        (data["rows"], data["class_counts"]))
            for fmt in ("avro", "json_sr", "protobuf"):
                require(f"{fmt}: the model is the one the JSON topic trains",
                        without_provenance(models[fmt]) == without_provenance(models["json"]))
            rc, text = train("--from-kafka", "-b", kl.bootstrap, "-t", "avro", "-o",
                             os.path.join(d, "x.json"))
            require("framed values without a registry: a clear error",
                    rc == 1 and "kafka topic avro partition 0 offset 0: the value is in the Schema "
                    "Registry wire format (schema id 1): give schema.registry.url" in text,
                    "exit 1, the registry needed", f"exit {rc}: {text[-400:]}")


if __name__ == "__main__":
    main(globals(), cleanup=kill_children)
