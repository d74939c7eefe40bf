#!/usr/bin/env python3
"""The monitoring statistics build/train writes into model/iris-model.json,
recomputed here from model/iris.csv with an independent pure-Python
implementation (Gauss-Jordan inverses, not the trainer's Cholesky code), and
the leader rule checked against the leaderboard the training report
model/iris-training.json records (the artifact keeps only a short
provenance: data and the leader's mean per-class error).

- per-class means and sample covariances, per-feature means and sample sds;
- the atypical distance is the chi-square(4) 0.99 quantile, 13.2767;
- the leave-one-out atypical rate: each row scored against its class's mean
  and covariance refitted without it (the other classes unchanged);
- standard errors sqrt(p (1 - p) / n);
- the leader: within noise of the best, and no within-noise row of a family
  with fewer fitted parameters (glm, lda, gnb, qda, knn, gbm).

Closes with "N passed, N failed".
"""
import csv
import json
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLASSES = ["setosa", "versicolor", "virginica"]
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
CHI2_4_099 = 13.276704135987622  # scipy.stats.chi2.ppf(0.99, 4)
SIMPLICITY = ["glm", "lda", "gnb", "qda", "knn", "gbm"]

passed = failed = 0


def check(name, ok, expected, got):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name}")
    else:
        failed += 1
        print(f"FAIL {name}\n  expected: {expected}\n  got:      {got}")


def close(a, b, tol=1e-9):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def mean_cov(rows):
    n = len(rows)
    mu = [sum(r[j] for r in rows) / n for j in range(4)]
    cov = [[sum((r[a] - mu[a]) * (r[b] - mu[b]) for r in rows) / (n - 1) for b in range(4)]
           for a in range(4)]
    return mu, cov


def inverse(m):
    a = [row[:] + [1.0 if i == j else 0.0 for j in range(4)] for i, row in enumerate(m)]
    for c in range(4):
        p = max(range(c, 4), key=lambda r: abs(a[r][c]))
        a[c], a[p] = a[p], a[c]
        piv = a[c][c]
        a[c] = [v / piv for v in a[c]]
        for r in range(4):
            if r != c:
                f = a[r][c]
                a[r] = [v - f * w for v, w in zip(a[r], a[c])]
    return [row[4:] for row in a]


def d2(x, mu, inv):
    d = [x[j] - mu[j] for j in range(4)]
    return sum(d[a] * inv[a][b] * d[b] for a in range(4) for b in range(4))


def main():
    with open(os.path.join(ROOT, "model", "iris.csv"), newline="") as f:
        data = [([float(r[k]) for k in FEATURES], CLASSES.index(r["species"].replace("Iris-", "")))
                for r in csv.DictReader(f)]
    with open(os.path.join(ROOT, "model", "iris-model.json")) as f:
        art = json.load(f)
    with open(os.path.join(ROOT, "model", "iris-training.json")) as f:
        report = json.load(f)
    mon = art.get("monitoring")
    check("the artifact has a monitoring object", isinstance(mon, dict), "an object", mon)
    if not isinstance(mon, dict):
        return
    inputs = mon["inputs"]
    n = len(data)
    check("rows is the training set size", mon["rows"] == n, n, mon["rows"])
    by_class = [[x for x, y in data if y == k] for k in range(3)]
    fits = [mean_cov(rows) for rows in by_class]
    for k, (mu, cov) in enumerate(fits):
        check(f"class {CLASSES[k]} mean", all(close(a, b) for a, b in
                                              zip(mu, inputs["class_means"][k])),
              mu, inputs["class_means"][k])
        got = inputs["class_covariances"][k]
        check(f"class {CLASSES[k]} covariance",
              all(close(cov[a][b], got[a][b]) for a in range(4) for b in range(4)), cov, got)
    allx = [x for x, _ in data]
    fm = [sum(x[j] for x in allx) / n for j in range(4)]
    fs = [math.sqrt(sum((x[j] - fm[j]) ** 2 for x in allx) / (n - 1)) for j in range(4)]
    check("feature means", all(close(a, b) for a, b in zip(fm, inputs["feature_means"])),
          fm, inputs["feature_means"])
    check("feature sds", all(close(a, b) for a, b in zip(fs, inputs["feature_sds"])),
          fs, inputs["feature_sds"])
    check("the atypical distance is the chi-square(4) 0.99 quantile",
          close(inputs["atypical_distance2"], CHI2_4_099, 1e-12), CHI2_4_099,
          inputs["atypical_distance2"])
    invs = [inverse(cov) for _, cov in fits]
    atypical = 0
    for i, (x, y) in enumerate(data):
        best = math.inf
        for k in range(3):
            if k == y:
                mu, cov = mean_cov([r for j, (r, c) in enumerate(data) if c == y and j != i])
                best = min(best, d2(x, mu, inverse(cov)))
            else:
                best = min(best, d2(x, fits[k][0], invs[k]))
        atypical += best > CHI2_4_099
    rate = atypical / n
    check("leave-one-out atypical rate", close(inputs["atypical_rate"], rate), rate,
          inputs["atypical_rate"])
    check("atypical rate standard error", close(inputs["atypical_rate_se"],
                                                math.sqrt(rate * (1 - rate) / n)),
          math.sqrt(rate * (1 - rate) / n), inputs["atypical_rate_se"])
    p = mon["error_rate"]
    check("error rate standard error", close(mon["error_rate_se"], math.sqrt(p * (1 - p) / n)),
          math.sqrt(p * (1 - p) / n), mon["error_rate_se"])

    check("the training report is the artifact's model's", report["model_id"] == art["model_id"],
          art["model_id"], report["model_id"])
    board = report["training"]["leaderboard"]
    leaders = [r for r in board if r.get("leader")]
    check("exactly one leader on the leaderboard", len(leaders) == 1, 1, len(leaders))
    if len(leaders) != 1:
        return
    lead = leaders[0]
    check("the artifact's model is the leader", art["model_id"] == lead["model_id"],
          lead["model_id"], art["model_id"])
    check("the leader's cross-validated error rate is the monitoring error rate",
          close(lead["error_rate"], p), lead["error_rate"], p)
    mpce = art["training"]["cv"]["mean_per_class_error"]
    check("the artifact's mean per-class error is the leader's",
          mpce == lead["mean_per_class_error"], lead["mean_per_class_error"], mpce)
    noisy = [r for r in board if "error" not in r]
    marks = [(r["model_id"], r["within_noise_of_best"],
              r["difference_to_best"] <= 0 or r["difference_to_best"] < 2 * r["difference_to_best_se"])
             for r in noisy[1:]]
    check("within noise means less than 2 standard errors above the best",
          all(a == b for _, a, b in marks), "consistent", marks)
    check("the leader is within noise of the best", lead["within_noise_of_best"], True,
          lead["within_noise_of_best"])
    simpler = [r["model_id"] for r in noisy if r["within_noise_of_best"]
               and SIMPLICITY.index(r["family"]) < SIMPLICITY.index(lead["family"])]
    check("no simpler family is within noise of the best", not simpler, [], simpler)
    check("the rule is recorded with the cross-validation",
          "simplest model within noise" in report["training"]["cv"].get("leader_rule", ""),
          "the rule text", report["training"]["cv"].get("leader_rule"))


if __name__ == "__main__":
    main()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
