#!/usr/bin/env python3
"""Integration tests: which models the real bootstrap (BOOTSTRAP, default
build/bootstrap) serves, under the Runtime API emulator over real HTTP on
127.0.0.1.  A model that cannot produce probabilities, or whose features are
not the records', is an init error (Runtime.InvalidModel) naming the problem;
class names in another case than the records' labels still match."""
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

    def test_a_model_of_other_features_is_refused_at_init_naming_them(self):
        with tempfile.TemporaryDirectory() as d:
            wine = os.path.join(d, "wine-model.json")
            subprocess.run([TRAIN, "-d", os.path.join(ROOT, "tests", "data", "wine", "wine.csv"),
                            "--label", "class", "-f", "lda", "-r", "1", "-o", wine],
                           check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
            msg = self.init_error(wine)
        self.assertIn("its 13 features are not sepal_length, sepal_width, petal_length, "
                      "petal_width", msg)


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


if __name__ == "__main__":
    run_unittests(globals())
