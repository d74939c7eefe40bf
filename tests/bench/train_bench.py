#!/usr/bin/env python3
"""make bench-train: build/train on a large synthetic data set beside
scikit-learn fitting the same families on the same folds, in one run.

The data: ROWS iris-like rows (3 classes in equal shares, 4 features drawn
from each iris class's own mean and covariance, measured to 0.1 cm as the
iris data is), written as a CSV that build/train reads.  Ours: the whole
`build/train` command (CSV load, every candidate of the default families
cross-validated with 1 repeat of 5 folds, the leader refitted on all rows,
the monitoring reference, the artifact), its wall time and peak RSS.
Theirs: scikit-learn (Debian's python3-sklearn) fitting the same candidates
on the same folds (the plan build/train uses, written by
build/bench/train_folds) and predicting the held-out rows: the fits' wall
time (their data loading is timed apart, not counted).  Goal: ours <= 3x.

The families' scikit-learn counterparts: glm LogisticRegression (lbfgs,
C = 1 / (lambda n), on standardised features), lda
LinearDiscriminantAnalysis (lsqr, shrinkage), qda
QuadraticDiscriminantAnalysis (reg_param), gnb GaussianNB (var_smoothing),
knn KNeighborsClassifier (its default tree search over every training row;
ours keeps at most 10,000 rows, see trainer/knn.c), gbm
HistGradientBoostingClassifier (max_depth, max_iter, learning_rate,
min_samples_leaf 5, no early stopping: a histogram booster, as ours is),
with OMP_NUM_THREADS = --threads and OMP_WAIT_POLICY=passive unless set.

    tests/bench/train_bench.py --train build/train --folds-tool build/bench/train_folds
                               [--rows N] [--threads N]
"""
import argparse
import csv
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOAL = 3.0


def make_data(path, rows, seed):
    import numpy as np
    with open(os.path.join(ROOT, "model", "iris.csv")) as f:
        data = list(csv.reader(f))
    header, body = data[0], data[1:]
    classes = sorted({r[4] for r in body})
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(classes), rows)
    x = np.empty((rows, 4))
    for c, name in enumerate(classes):
        pts = np.array([[float(v) for v in r[:4]] for r in body if r[4] == name])
        sel = y == c
        x[sel] = rng.multivariate_normal(pts.mean(axis=0), np.cov(pts.T), int(sel.sum()))
    x = np.clip(np.round(x, 1), 0.1, None)
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        names = np.array(classes)[y]
        for i in range(rows):
            f.write("%.1f,%.1f,%.1f,%.1f,%s\n" % (x[i, 0], x[i, 1], x[i, 2], x[i, 3], names[i]))


def children_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_ours(train, data, out, folds, seed, threads):
    cmd = [train, "-d", data, "-r", "1", "-k", str(folds), "-s", str(seed), "-j", str(threads),
           "-o", out + "-model.json", "--report", out + "-report.json"]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = p.communicate()
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit("build/train failed (%d): %s" % (p.returncode, stderr.decode()[-2000:]))
    return wall, stdout.decode()


def peak_rss_children_mb():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def sklearn_candidates(n_train):
    from sklearn.discriminant_analysis import (LinearDiscriminantAnalysis,
                                               QuadraticDiscriminantAnalysis)
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    # The grids of trainer/{glm,discriminant,knn,gbm}.c, in the leaderboard's order.
    out = []
    for lam in (1e-5, 1e-4, 1e-3, 1e-2):
        out.append(("glm_lambda_%g" % lam,
                    lambda lam=lam: LogisticRegression(C=1.0 / (lam * n_train), max_iter=200)))
    for s in (0, 0.05, 0.2):
        out.append(("lda_shrinkage_%g" % s, lambda s=s: LinearDiscriminantAnalysis(
            solver="lsqr", shrinkage=s if s > 0 else None)))
    for r in (0, 0.25, 0.5, 0.75):
        out.append(("qda_reg_%g" % r, lambda r=r: QuadraticDiscriminantAnalysis(reg_param=r)))
    for v in (1e-9, 1e-3, 1e-2):
        out.append(("gnb_var_smoothing_%g" % v, lambda v=v: GaussianNB(var_smoothing=v)))
    for k in (5, 10, 15, 20):
        out.append(("knn_k_%d" % k, lambda k=k: KNeighborsClassifier(n_neighbors=k)))
    for depth, trees in ((2, 50), (2, 100), (3, 50), (3, 100)):
        out.append(("gbm_depth_%d_ntrees_%d_learn_rate_0.1" % (depth, trees),
                    lambda depth=depth, trees=trees: HistGradientBoostingClassifier(
                        max_depth=depth, max_iter=trees, learning_rate=0.1, min_samples_leaf=5,
                        max_leaf_nodes=None, l2_regularization=0.0, early_stopping=False)))
    return out


def mean_per_class_error(y, pred, k):
    import numpy as np
    errs = [np.mean(pred[y == c] != c) for c in range(k) if np.any(y == c)]
    return float(np.mean(errs))


def run_sklearn(data, plan, threads):
    import numpy as np
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    t0 = time.perf_counter()
    raw = np.loadtxt(data, delimiter=",", skiprows=1, usecols=(0, 1, 2, 3))
    labels = np.loadtxt(data, delimiter=",", skiprows=1, usecols=(4,), dtype=str)
    classes = sorted(set(labels.tolist()))
    y = np.searchsorted(np.array(classes), labels)
    fold = np.frombuffer(plan.encode(), dtype=np.uint8) - ord("0")
    load = time.perf_counter() - t0
    folds = int(fold.max()) + 1
    n_train = int(np.mean([np.sum(fold != f) for f in range(folds)]))
    rows, fit_total, cpu0 = [], 0.0, time.process_time()
    for name, make in sklearn_candidates(n_train):
        t1 = time.perf_counter()
        pred = np.empty(len(y), dtype=int)
        for f in range(folds):
            tr, te = fold != f, fold == f
            est = make_pipeline(StandardScaler(), make())
            est.fit(raw[tr], y[tr])
            pred[te] = np.argmax(est.predict_proba(raw[te]), axis=1)
        dt = time.perf_counter() - t1
        fit_total += dt
        rows.append((name, dt, mean_per_class_error(y, pred, len(classes))))
        print("  scikit-learn %-28s %8.2f s  mean per-class error %.4f" % (name, dt, rows[-1][2]),
              flush=True)
    return load, fit_total, time.process_time() - cpu0, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", required=True, help="build/train")
    ap.add_argument("--folds-tool", required=True, help="build/bench/train_folds")
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    # scikit-learn's booster runs OpenMP threads; on a shared machine their
    # default busy-waiting turns other processes' load into its own (a
    # 100,000-row fit took minutes at a load of 12 on 2 cores).  Waiting
    # passively is the setting for a machine it does not have to itself.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    try:
        import sklearn
    except ImportError:
        raise SystemExit("bench-train needs scikit-learn: apt-get install python3-sklearn")
    outdir = os.path.join(ROOT, "build", "bench")
    os.makedirs(outdir, exist_ok=True)
    data = os.path.join(outdir, "train-%d.csv" % args.rows)
    if not os.path.exists(data):
        make_data(data + ".tmp", args.rows, 2026)
        os.replace(data + ".tmp", data)
    print("bench-train: %d synthetic iris-like rows (%s), 1 x %d-fold CV, %d threads; "
          "scikit-learn %s; load average %s" % (args.rows, data, args.folds, args.threads,
                                               sklearn.__version__,
                                               " ".join(open("/proc/loadavg").read().split()[:3])))

    cpu0 = children_cpu_s()
    wall, out = run_ours(args.train, data, os.path.join(outdir, "train-bench"), args.folds,
                         args.seed, args.threads)
    rss = peak_rss_children_mb()
    ours_cpu = children_cpu_s() - cpu0
    lb_time = [l for l in out.splitlines() if l.startswith("leaderboard time:")]
    print(out)
    print("build/train: %.2f s wall, %.2f s CPU, peak RSS %.1f MB; now scikit-learn"
          % (wall, ours_cpu, rss), flush=True)
    plan = subprocess.run([args.folds_tool, data, str(args.seed), "1", str(args.folds)],
                          check=True, stdout=subprocess.PIPE).stdout.decode().strip()
    load, theirs, theirs_cpu, _ = run_sklearn(data, plan, args.threads)
    print()
    print("%-52s %10s" % ("figure", "value"))
    print("%-52s %9.2f s" % ("build/train, whole command (load, CV, refit, artifact)", wall))
    if lb_time:
        print("%-52s %s" % ("  of which its cross-validation", lb_time[0].split(":", 1)[1].strip()))
    print("%-52s %9.2f s" % ("  its CPU time (user + system, all threads)", ours_cpu))
    print("%-52s %9.1f MB" % ("build/train peak RSS", rss))
    print("%-52s %9.2f s" % ("scikit-learn, the same fits on the same folds", theirs))
    print("%-52s %9.2f s" % ("  its CPU time (user + system, all threads)", theirs_cpu))
    print("%-52s %9.2f s" % ("  (its CSV load, not counted)", load))
    r = wall / theirs
    print("%-52s %9.2fx  (goal <= %.1fx)  %s" % ("ratio, wall time", r, GOAL,
                                                 "met" if r <= GOAL else "MISSED"))
    print("%-52s %9.2fx" % ("ratio, CPU time (steadier under load)", ours_cpu / theirs_cpu))
    print("load average after the run: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
