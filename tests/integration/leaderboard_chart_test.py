#!/usr/bin/python3
"""tests/integration/leaderboard_chart_test.py: the leaderboard chart that
`build/train --report FILE` writes beside the report, read back as XML.

  - train --report DIR/r.json writes DIR/r.svg (and --leaderboard-svg FILE
    picks the name; --report - and --no-write write no chart);
  - the chart is well-formed XML (also when the data file's name has markup
    and non-ASCII characters in it, as the caption shows it);
  - one bar per candidate, in the report's order, with the report's mean
    per-class error and standard error; bar lengths and error bars on one
    linear scale from zero; the one-standard-error line at the best row's
    error plus its standard error; exactly one bar marked chosen, the
    report's leader;
  - the shipped model/iris-leaderboard.svg agrees with the shipped
    model/iris-training.json (make model rewrites both).
Closes with "N passed, N failed".
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from testlib import check, finish  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN = os.path.join(ROOT, "build", "train")
SVG = "{http://www.w3.org/2000/svg}"


def train(*args):
    return subprocess.run([TRAIN, *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def close(a, b, tol):
    return abs(a - b) <= tol


def check_chart(label, svg_path, report_path):
    """The chart at svg_path against the leaderboard of the report."""
    try:
        with open(report_path) as f:
            rows = json.load(f)["training"]["leaderboard"]
    except (OSError, ValueError, KeyError) as e:
        check(f"{label}: the training report is readable", False, "a report", e)
        return
    try:
        root = ET.parse(svg_path).getroot()
    except (OSError, ET.ParseError) as e:
        check(f"{label}: the chart is well-formed XML", False, "XML", e)
        return
    check(f"{label}: the chart is well-formed XML with an <svg> root", root.tag == SVG + "svg",
          SVG + "svg", root.tag)
    bars = [e for e in root.iter(SVG + "rect") if "bar" in e.get("class", "").split()]
    drawn = [r for r in rows if "error" not in r]
    check(f"{label}: one bar per candidate, in the report's order ({len(drawn)})",
          [b.get("data-model") for b in bars] == [r["model_id"] for r in drawn],
          [r["model_id"] for r in drawn], [b.get("data-model") for b in bars])
    if len(bars) != len(drawn) or not drawn:
        return
    mismatched = [(r["model_id"], r["mean_per_class_error"], b.get("data-mpce"),
                   r["mean_per_class_error_se"], b.get("data-se"))
                  for b, r in zip(bars, drawn)
                  if not close(float(b.get("data-mpce")), r["mean_per_class_error"], 1e-12)
                  or not close(float(b.get("data-se")), r["mean_per_class_error_se"], 1e-12)]
    check(f"{label}: each bar carries its row's mean per-class error and standard error",
          not mismatched, "the report's values", mismatched)
    # One linear scale from zero: every bar starts at the same x and its width
    # is the report's error times one factor (0.001 units of rounding each).
    x0 = float(bars[0].get("x"))
    top = max(drawn, key=lambda r: r["mean_per_class_error"])
    k = float(bars[drawn.index(top)].get("width")) / top["mean_per_class_error"]
    off = [(r["model_id"], float(b.get("width")), k * r["mean_per_class_error"])
           for b, r in zip(bars, drawn)
           if float(b.get("x")) != x0 or not close(float(b.get("width")),
                                                   k * r["mean_per_class_error"], 0.002)]
    check(f"{label}: bar lengths are proportional to the error, from one origin", not off,
          "width = k x error", off)
    # Each bar's error bar: the first line of the <g class="se"> after it spans
    # error -/+ standard error on the same scale (clamped at zero).
    groups = [g for g in root.iter(SVG + "g") if g.get("class") == "se"]
    spans = []
    for g, r in zip(groups, drawn):
        line = g.find(SVG + "line")
        lo = x0 + k * max(0.0, r["mean_per_class_error"] - r["mean_per_class_error_se"])
        hi = x0 + k * (r["mean_per_class_error"] + r["mean_per_class_error_se"])
        if not (close(float(line.get("x1")), lo, 0.002) and close(float(line.get("x2")), hi, 0.002)):
            spans.append((r["model_id"], line.get("x1"), line.get("x2"), round(lo, 3), round(hi, 3)))
    check(f"{label}: one error bar per bar, spanning one standard error each side",
          len(groups) == len(drawn) and not spans, f"{len(drawn)} error bars", (len(groups), spans))
    ones = [e for e in root.iter(SVG + "line") if e.get("class") == "one-se"]
    best = drawn[0]
    want = x0 + k * (best["mean_per_class_error"] + best["mean_per_class_error_se"])
    check(f"{label}: the one-standard-error line at the best row's error + its standard error",
          len(ones) == 1 and close(float(ones[0].get("x1")), want, 0.002) and
          ones[0].get("x1") == ones[0].get("x2"),
          round(want, 3), [(e.get("x1"), e.get("x2")) for e in ones])
    leaders = [b.get("data-model") for b in bars if "leader" in b.get("class").split()]
    want_leader = [r["model_id"] for r in drawn if r.get("leader")]
    chosen = [t for t in root.iter(SVG + "text") if t.get("class") == "chosen"]
    check(f"{label}: exactly one bar is marked chosen, the report's leader",
          leaders == want_leader and len(want_leader) == 1 and len(chosen) == 1,
          want_leader, (leaders, len(chosen)))


def test_beside_the_report(tmp):
    # A data file whose name needs escaping in XML, shown in the caption.
    data = os.path.join(tmp, "iris & <friends> é.csv")
    shutil.copy(os.path.join(ROOT, "model", "iris.csv"), data)
    report, model = os.path.join(tmp, "r.json"), os.path.join(tmp, "m.json")
    p = train("-d", data, "-r", "3", "-o", model, "--report", report)
    check("train --report exits 0", p.returncode == 0, 0, f"{p.returncode}: {p.stderr[-400:]}")
    svg = os.path.join(tmp, "r.svg")
    check("train --report DIR/r.json writes the chart DIR/r.svg and says so",
          os.path.exists(svg) and f"wrote {svg}: the leaderboard chart" in p.stdout,
          f"wrote {svg}", p.stdout[-300:])
    check_chart("beside the report", svg, report)
    try:
        caption = "".join(ET.parse(svg).getroot().itertext())
    except (OSError, ET.ParseError):
        caption = ""
    check("the caption names the data file, markup and all", data in caption, data, caption[:300])


def test_chosen_path_and_no_chart(tmp):
    report, out = os.path.join(tmp, "r2.json"), os.path.join(tmp, "chart.svg")
    p = train("-f", "glm,lda", "-r", "2", "-o", os.path.join(tmp, "m2.json"), "--report", report,
              "--leaderboard-svg", out)
    check("--leaderboard-svg FILE writes the chart there, not beside the report",
          p.returncode == 0 and os.path.exists(out) and
          not os.path.exists(os.path.join(tmp, "r2.svg")),
          "chart.svg only", (p.returncode, sorted(os.listdir(tmp)), p.stderr[-300:]))
    check_chart("glm and lda only", out, report)
    before = sorted(os.listdir(tmp))
    p = train("-f", "lda", "-r", "2", "-o", os.path.join(tmp, "m3.json"), "--report", "-")
    check("--report - (standard output) writes no chart", p.returncode == 0 and
          sorted(os.listdir(tmp)) == sorted(before + ["m3.json"]), before + ["m3.json"],
          (p.returncode, sorted(os.listdir(tmp))))
    p = train("-f", "lda", "-r", "2", "-n", "--report", os.path.join(tmp, "r4.json"))
    check("--no-write writes neither report nor chart", p.returncode == 0 and
          not os.path.exists(os.path.join(tmp, "r4.svg")), "no r4.svg",
          (p.returncode, sorted(os.listdir(tmp))))
    p = train("-f", "lda", "-r", "2", "-o", os.path.join(tmp, "m5.json"), "--report",
              os.path.join(tmp, "r5.json"), "--leaderboard-svg", os.path.join(tmp, "no", "c.svg"))
    check("an unwritable chart path fails the run, naming the path",
          p.returncode != 0 and os.path.join(tmp, "no") in p.stderr and "chart" in p.stderr,
          "exit 1 and the path", (p.returncode, p.stderr[-300:]))


def test_shipped_chart():
    check_chart("model/iris-leaderboard.svg", os.path.join(ROOT, "model", "iris-leaderboard.svg"),
                os.path.join(ROOT, "model", "iris-training.json"))


def main():
    if not os.access(TRAIN, os.X_OK):
        print("FAIL - build/train is not built\n0 passed, 1 failed")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        test_beside_the_report(tmp)
        test_chosen_path_and_no_chart(tmp)
    test_shipped_chart()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
