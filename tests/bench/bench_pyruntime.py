#!/usr/bin/env python3
"""Baseline for `make bench`: the same function as a Python Lambda runtime loop
(standard library json + urllib), scoring with the same model artifact.

  bench_pyruntime.py                 serve $AWS_LAMBDA_RUNTIME_API (like bootstrap)
  bench_pyruntime.py --bench EVENT N in process: median handler time, JSON on stderr
"""
import json
import math
import os
import sys
import time
import urllib.request

FEATURES = [("sepallength", "sepalLength"), ("sepalwidth", "sepalWidth"),
            ("petallength", "petalLength"), ("petalwidth", "petalWidth")]


def inverse_and_logdet(a):
    n = len(a)
    m = [row[:] + [1.0 if i == j else 0.0 for j in range(n)] for i, row in enumerate(a)]
    logdet = 0.0
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        piv = m[c][c]
        logdet += math.log(abs(piv))
        m[c] = [v / piv for v in m[c]]
        for r in range(n):
            if r != c and m[r][c] != 0.0:
                f = m[r][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [row[n:] for row in m], logdet


class Model:
    def __init__(self, path):
        with open(path) as f:
            d = json.load(f)
        self.family = d["family"]
        self.classes = d["classes"]
        self.mean = d["standardize"]["mean"]
        self.scale = d["standardize"]["scale"]
        fit = d["fitted"]
        K = len(self.classes)
        if self.family == "glm":
            self.b0, self.w = fit["intercepts"], fit["coefficients"]
        elif self.family in ("lda", "qda", "gnb"):
            self.logp = [math.log(p) for p in fit["priors"]]
            self.means = fit["means"]
            if self.family == "lda":
                inv, ld = inverse_and_logdet(fit["covariance"])
                self.inv, self.ld = [inv] * K, [0.0] * K
            elif self.family == "qda":
                pairs = [inverse_and_logdet(c) for c in fit["covariances"]]
                self.inv, self.ld = [p[0] for p in pairs], [p[1] for p in pairs]
            else:
                self.inv = [[[1.0 / v[i] if i == j else 0.0 for j in range(4)] for i in range(4)]
                            for v in fit["variances"]]
                self.ld = [sum(math.log(x) for x in v) for v in fit["variances"]]
        elif self.family == "knn":
            self.k, self.points, self.labels = fit["k"], fit["points"], fit["labels"]
        elif self.family == "gbm":
            self.init, self.trees = fit["init"], fit["trees"]
        else:
            raise SystemExit("baseline scorer: unknown model family %r" % self.family)

    def predict(self, x):
        z = [(x[i] - self.mean[i]) / self.scale[i] for i in range(4)]
        K = len(self.classes)
        if self.family == "knn":
            # stable sort: ties go to the earlier point, as the artifact says
            near = sorted(range(len(self.points)),
                          key=lambda i: sum((a - b) ** 2 for a, b in zip(self.points[i], z)))
            votes = [0] * K
            for i in near[:self.k]:
                votes[self.labels[i]] += 1
            p = [v / self.k for v in votes]
            return max(range(K), key=lambda i: p[i]), p
        if self.family == "glm":
            s = [b + sum(w * v for w, v in zip(ws, z)) for b, ws in zip(self.b0, self.w)]
        elif self.family == "gbm":
            s = list(self.init)
            for t in self.trees:
                n = 0
                while t["feature"][n] >= 0:
                    n = t["left"][n] if z[t["feature"][n]] < t["threshold"][n] else t["right"][n]
                s[t["class"]] += t["value"][n]
        else:
            s = []
            for k in range(len(self.classes)):
                d = [z[i] - self.means[k][i] for i in range(4)]
                q = sum(d[i] * sum(self.inv[k][i][j] * d[j] for j in range(4)) for i in range(4))
                s.append(self.logp[k] - self.ld[k] / 2 - q / 2)
        m = max(s)
        e = [math.exp(v - m) for v in s]
        t = sum(e)
        p = [v / t for v in e]
        return max(range(len(p)), key=lambda i: p[i]), p


def norm(k):
    return "".join(c for c in k.lower() if c not in "_-. ")


def read_value(v):
    if isinstance(v, str):
        v = json.loads(v)
    keys = {norm(k): val for k, val in v.items()}
    x = [float(keys[k]) for k, _ in FEATURES]
    sp = keys.get("species")
    if isinstance(sp, str) and sp.lower().startswith("iris-"):
        sp = sp[5:]
    return x, sp.lower() if sp else None


def handle(model, event):
    doc = json.loads(event)
    out = []
    for el in doc:
        p = el["payload"]
        meta = {k: p.get(k) for k in ("topic", "partition", "offset", "timestamp")}
        if p.get("key") is not None:
            meta["key"] = p["key"]
        try:
            x, sp = read_value(p["value"])
        except (KeyError, ValueError, TypeError) as e:
            meta["error"] = str(e)  # inside the payload, as the function answers
            out.append({"payload": meta})
            continue
        k, probs = model.predict(x)
        pred = model.classes[k]
        meta.update({name: x[i] for i, (_, name) in enumerate(FEATURES)})
        meta.update({"species": sp, "predictedSpecies": pred,
                     "probabilities": {c: round(q, 6) for c, q in zip(model.classes, probs)},
                     "correct": None if sp is None else sp == pred})
        out.append({"payload": meta})
    return json.dumps(out, separators=(",", ":")).encode()


def model_path():
    return os.environ.get("MODEL_PATH") or os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "model", "iris-model.json")


def serve():
    model = Model(model_path())
    base = "http://%s/2018-06-01/runtime/invocation/" % os.environ["AWS_LAMBDA_RUNTIME_API"]
    while True:
        with urllib.request.urlopen(base + "next") as r:
            rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
            event = r.read()
        body = handle(model, event)
        req = urllib.request.Request(base + rid + "/response", data=body, method="POST")
        urllib.request.urlopen(req).read()


def bench(path, n):
    model = Model(model_path())
    with open(path, "rb") as f:
        event = f.read()
    times = []
    records = 0
    for _ in range(n):
        t0 = time.perf_counter()
        out = handle(model, event)
        times.append((time.perf_counter() - t0) * 1e3)
        records = records or len(json.loads(out))
    times.sort()
    med = times[len(times) // 2]
    sys.stderr.write(json.dumps({"records": records, "iterations": n, "median_ms": med,
                                 "min_ms": times[0], "records_per_s": records / (med / 1e3)}) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--bench":
        bench(sys.argv[2], int(sys.argv[3]))
    else:
        serve()
