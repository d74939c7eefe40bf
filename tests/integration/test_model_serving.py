#!/usr/bin/env python3
"""Integration tests: which models the real bootstrap (BOOTSTRAP, default
build/bootstrap) serves, under the Runtime API emulator over real HTTP on
127.0.0.1.  A model that cannot produce probabilities is an init error
(Runtime.InvalidModel) naming the problem; class names in another case than
the records' labels still match; a model of other data (the wine data,
13 features, label "class") is served from connector batches carrying its
fields, its response echoing them, its probabilities those of the artifact's
formula evaluated here."""
import csv
import math
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from rapi_harness import ROOT, Function, event, run_unittests  # noqa: E402

BOOTSTRAP = os.path.abspath(os.environ.get("BOOTSTRAP", os.path.join(ROOT, "build", "bootstrap")))
TRAIN = os.path.join(ROOT, "build", "train")
SHIPPED = os.path.join(ROOT, "model", "iris-model.json")


def shipped():
    with open(SHIPPED) as f:
        return json.load(f)


class ModelFile:
    """A model artifact written to a temporary file for MODEL_PATH."""

    def __init__(self, artifact):
        fd, self.path = tempfile.mkstemp(prefix="model-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            f.write(artifact if isinstance(artifact, str) else json.dumps(artifact))

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        os.unlink(self.path)


class InitErrors(unittest.TestCase):
    def init_error(self, path):
        with Function(BOOTSTRAP, env={"MODEL_PATH": path}) as fn:
            st = fn.wait_for(lambda s: s["exitCode"] is not None, what="runtime exit")
        self.assertNotEqual(st["exitCode"], 0)
        self.assertEqual(len(st["initErrors"]), 1, st)
        err = st["initErrors"][0]
        self.assertEqual(err["errorType"], "Runtime.InvalidModel")
        return json.loads(err["body"])["errorMessage"]

    def test_a_model_with_a_scale_of_1e_300_is_refused_at_init(self):
        m = shipped()
        m["standardize"]["scale"][2] = 1e-300
        with ModelFile(m) as path:
            msg = self.init_error(path)
        self.assertIn(path, msg)
        self.assertIn("the model cannot produce probabilities", msg)
        self.assertIn("standardize.scale[2] = 1e-300", msg)

    def test_a_model_with_weights_of_1e308_is_refused_at_init(self):
        m = shipped()
        m["family"] = "glm"
        m["fitted"] = {"intercepts": [0, 0, 0],
                       "coefficients": [[1e308, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1e308, 0]]}
        with ModelFile(m) as path:
            msg = self.init_error(path)
        self.assertIn("the model cannot produce probabilities", msg)

    def test_class_names_equal_but_for_case_are_refused_at_init(self):
        m = shipped()
        m["classes"] = ["setosa", "versicolor", "SETOSA"]
        with ModelFile(m) as path:
            msg = self.init_error(path)
        self.assertIn('field "classes[2]": duplicate class name "SETOSA"', msg)


class Serving(unittest.TestCase):
    def test_class_names_in_another_case_match_the_labels(self):
        m = shipped()
        m["classes"] = ["Setosa", "VERSICOLOR", "Virginica"]
        src = json.loads(event("batch-correct.json"))
        with ModelFile(m) as path, Function(BOOTSTRAP, env={"MODEL_PATH": path}) as fn:
            ferr, out = fn.invoke(event("batch-correct.json"))
        self.assertIsNone(ferr, out)
        self.assertEqual(len(out), len(src))
        for o in out:
            self.assertNotIn("error", o["payload"])
            self.assertIn(o["payload"]["predictedSpecies"], m["classes"])
        right = sum(o["payload"]["correct"] is True for o in out)
        self.assertGreaterEqual(right, 18, out)


WINE_CSV = os.path.join(ROOT, "tests", "data", "wine", "wine.csv")


def camel(snake):
    head, *rest = snake.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def glm_probabilities(a, x):
    """The glm formula of model/README.md: softmax(b + W z), z = (x - mean) / scale."""
    mean, scale = a["standardize"]["mean"], a["standardize"]["scale"]
    z = [(v - m) / s for v, m, s in zip(x, mean, scale)]
    scores = [b + sum(w * zj for w, zj in zip(row, z))
              for b, row in zip(a["fitted"]["intercepts"], a["fitted"]["coefficients"])]
    top = max(scores)
    e = [math.exp(s - top) for s in scores]
    return [v / sum(e) for v in e]


class OtherData(unittest.TestCase):
    def test_a_wine_model_is_served_from_batches_of_wine_records(self):
        with open(WINE_CSV) as f:
            rows = list(csv.reader(f))
        header, rows = rows[0], rows[1:]
        features = header[:-1]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "wine-model.json")
            subprocess.run([TRAIN, "-d", WINE_CSV, "--label", "class", "-f", "glm", "-r", "1",
                            "-o", path], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
            with open(path) as f:
                a = json.load(f)
            self.assertEqual(a["label"], "class")
            self.assertEqual(a["features"][0], "alcohol")
            # Every other record spells its fields in SCREAMING_CASE, values as strings.
            batch = []
            for i, r in enumerate(rows):
                if i % 2:
                    value = {k.upper(): v for k, v in zip(header, r)}
                else:
                    value = {k: float(v) for k, v in zip(features, r[:-1])}
                    value["class"] = r[-1]
                batch.append({"payload": {"timestamp": 1604302260000 + i, "topic": "wine",
                                          "partition": 0, "offset": i, "key": None,
                                          "value": value}})
            with Function(BOOTSTRAP, env={"MODEL_PATH": path}) as fn:
                ferr, out = fn.invoke(batch)
        self.assertIsNone(ferr, out)
        self.assertEqual(len(out), len(rows))
        right = 0
        for r, o in zip(rows, out):
            p = o["payload"]
            self.assertNotIn("error", p, p)
            x = [float(v) for v in r[:-1]]
            for name, v in zip(features, x):
                self.assertEqual(p[camel(name)], v, name)
            self.assertEqual(p["class"], r[-1])
            want = glm_probabilities(a, x)
            for k, cls in enumerate(a["classes"]):
                self.assertLessEqual(abs(p["probabilities"][cls] - want[k]), 1.5e-6,
                                     (cls, p["probabilities"], want))
            best = max(range(len(want)), key=lambda k: want[k])
            self.assertEqual(p["predictedClass"], a["classes"][best])
            self.assertEqual(p["correct"], p["class"] == p["predictedClass"])
            right += p["correct"]
        self.assertGreaterEqual(right / len(rows), 0.95)


if __name__ == "__main__":
    run_unittests(globals())
