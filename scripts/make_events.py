#!/usr/bin/env python3
"""Writes the sample events in events/ from model/iris.csv (deterministic).

Each batch has exactly the payload the Confluent AWS Lambda Sink connector
sends: a JSON array, one {"payload":{timestamp, topic, partition, offset,
key, value}} element per Kafka record.  events/README.md says what each shows.
"""
import argparse
import base64
import csv
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SPECIES = ["setosa", "versicolor", "virginica"]


def rows():
    with open(os.path.join(ROOT, "model", "iris.csv")) as f:
        return [r for r in csv.DictReader(f)]


def value(r, species=None):
    # Numbers as in the CSV (json.loads of the text keeps 6.7 as 6.7).
    return {"sepalLength": json.loads(r["sepal_length"]), "sepalWidth": json.loads(r["sepal_width"]),
            "petalLength": json.loads(r["petal_length"]), "petalWidth": json.loads(r["petal_width"]),
            "species": species or r["species"]}


def element(i, v, ts0=1604302260000, partition=0, offset0=100):
    return {"payload": {"timestamp": ts0 + i * 3500, "topic": "iris", "partition": partition,
                        "offset": offset0 + i, "key": None, "value": v}}


def java_map_string(d, rng):
    """What Java's AbstractMap.toString() writes for the java.util.Map that
    Kafka Connect's JsonConverter builds from a schemaless JSON object: the
    value JsonKeyValueConverter sends as a plain string.  HashMap order is
    not insertion order, so the keys are shuffled."""
    def show(v):
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, dict):
            return "{" + ", ".join(k + "=" + show(x) for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(show(x) for x in v) + "]"
        return str(v)  # int as Long.toString, float as Double.toString (iris range), str unquoted
    keys = list(d)
    rng.shuffle(keys)
    return show({k: d[k] for k in keys})


def write(outdir, name, doc):
    with open(os.path.join(outdir, name), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(
        description="Write the sample connector batches (events/README.md lists them) from "
                    "model/iris.csv; the same bytes on every run.")
    ap.add_argument("outdir", nargs="?", default=os.path.join(ROOT, "events"),
                    help="folder to write them to (default: events/ of this checkout)")
    outdir = ap.parse_args().outdir
    os.makedirs(outdir, exist_ok=True)
    data = rows()
    rng = random.Random(20201102)
    sample = [data[rng.randrange(len(data))] for _ in range(20)]

    write(outdir, "batch-correct.json", [element(i, value(r)) for i, r in enumerate(sample)])

    # Drift: 15 of 20 labels name a species other than the true one.
    drifted = []
    for i, r in enumerate(sample):
        label = r["species"]
        if i % 4 != 0:
            label = SPECIES[(SPECIES.index(label) + 1 + i % 2) % 3]
        drifted.append(element(i, value(r, label), offset0=200))
    write(outdir, "batch-drifted.json", drifted)

    write(outdir, "batch-escaped-strings.json",
          [element(i, json.dumps(value(r), separators=(",", ":"))) for i, r in enumerate(sample[:10])])
    # The connector's default (JsonKeyValueConverter) with input.data.format=JSON.
    maps = random.Random(7)
    write(outdir, "batch-map-strings.json",
          [element(i, java_map_string(value(r), maps)) for i, r in enumerate(sample[:10])])
    # Keys in each form the connector can send: the converter's Map.toString()
    # of a schemaless JSON key, a plain string (the producer's --key), an
    # object (a key with a schema), a number, null.  Echoed, never read.
    keys = ["{id=7, source=lab}", "setosa", {"id": 7, "tags": ["a", "b"]}, 42, None]
    keyed = [element(i, java_map_string(value(r), maps)) for i, r in enumerate(sample[:5])]
    for e, k in zip(keyed, keys):
        e["payload"]["key"] = k
    write(outdir, "batch-keys.json", keyed)
    write(outdir, "batch-base64.json",
          [element(i, base64.b64encode(json.dumps(value(r)).encode()).decode())
           for i, r in enumerate(sample[:10])])

    # ksqlDB-style upper-case names and Iris- species.
    upper = []
    for i, r in enumerate(sample[:10]):
        upper.append(element(i, {"SEPAL_LENGTH": float(r["sepal_length"]),
                                  "SEPAL_WIDTH": float(r["sepal_width"]),
                                  "PETAL_LENGTH": float(r["petal_length"]),
                                  "PETAL_WIDTH": float(r["petal_width"]),
                                  "SPECIES": "Iris-" + r["species"]}))
    write(outdir, "batch-ksqldb-uppercase.json", upper)

    good = [element(i, value(r)) for i, r in enumerate(sample[:6])]
    bad_values = [
        {"sepalLength": "abc", "sepalWidth": 3.0, "petalLength": 1.4, "petalWidth": 0.2},
        {"sepalWidth": 3.0, "petalLength": 1.4, "petalWidth": 0.2, "species": "setosa"},
        "not json and not base64!",
        None,
        {"sepalLength": 5.1, "sepalWidth": 3.5, "petalLength": 1.4, "petalWidth": 0.2,
         "species": "rose"},
        {"sepalLength": -5.1, "sepalWidth": 3.5, "petalLength": 1.4, "petalWidth": 0.2},
    ]
    mixed = []
    for i in range(12):
        if i % 2 == 0:
            mixed.append(good[i // 2])
        else:
            mixed.append(element(i, bad_values[i // 2], offset0=100))
    for i, e in enumerate(mixed):
        e["payload"]["offset"] = 300 + i
    # an unlabelled record too
    unl = value(sample[7])
    del unl["species"]
    mixed.append(element(12, unl, offset0=300))
    write(outdir, "batch-mixed.json", mixed)

    r = sample[0]
    write(outdir, "record-bare.json", value(r))


if __name__ == "__main__":
    main()
