"""deploy/demo_html.py: `make demo`'s report as one self-contained HTML page.

The page has no script, no stylesheet, font or image to fetch (its
Content-Security-Policy forbids every fetch): inline CSS, and the timeline
drawn by matplotlib (Debian's python3-matplotlib, SVG backend, text as
paths) inlined as SVG.  Three panels share the x axis, the records the
function had scored (deploy/demo_timeline.py):
  accuracy      per window of records, with the accuracy the model is
                expected to keep (1 - the accuracy test's in-control rate);
  atypical      the share of inputs atypical of the training data per window,
                with the in-control share;
  evidence      both sequential tests' evidence after each invocation against
                their alert threshold h;
the drift phases shaded on all three, each alert and recovery the local SNS
accepted drawn where the function published it: a numbered marker above the
panels (an SVG group with id "alert-marker-N", N from 1, in the order SNS
accepted them) and a line through the panels.  Then the alerts, the summary
table (deploy/demo_report.py's rows, the text report's) and the confusion
matrices.  The plot areas have ids "plot-accuracy", "plot-atypical" and
"plot-evidence".
"""
import html
import io
import os
import re

import demo_report
import demo_timeline

ACC, ATY = "#1f5fa8", "#8e3b9e"
LABEL_SHADE, INPUT_SHADE = "#fbe3c8", "#e3dcf0"
ALARM, RECOVERY, THRESHOLD = "#c62828", "#2e7d32", "#d32f2f"

CSS = """
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; margin: 24px auto; max-width: 1140px;
       padding: 0 16px; color: #1d1d1d; background: #ffffff; line-height: 1.4; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #dddddd; padding-bottom: 4px; }
p.verdict { font-size: 15px; margin: 6px 0 14px; padding: 8px 12px; border-radius: 4px; }
p.ok { background: #e8f5e9; border-left: 5px solid #2e7d32; }
p.failed { background: #ffebee; border-left: 5px solid #c62828; }
figure { margin: 0; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 13px; color: #444444; margin-top: 6px; }
table { border-collapse: collapse; font-size: 14px; margin: 4px 0 8px; }
th, td { text-align: left; padding: 4px 12px 4px 0; vertical-align: top; }
tr + tr td, tr + tr th { border-top: 1px solid #eeeeee; }
td:first-child { white-space: nowrap; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.alarm { color: #c62828; font-weight: bold; }
.recovery { color: #2e7d32; font-weight: bold; }
.matrices { display: flex; gap: 48px; flex-wrap: wrap; }
"""


class ChartError(Exception):
    pass


def _pct_axis(ax):
    from matplotlib.ticker import PercentFormatter
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def _phases(s, end):
    """(start, stop, name, colour) of the drift phases, in records."""
    out = []
    drift, inputs = s.get("driftAfter"), s.get("inputsAt")
    stop = inputs if inputs is not None else end
    if drift is not None and drift < stop:
        out.append((drift, stop, "label drift", LABEL_SHADE))
    if inputs is not None:
        out.append((inputs, end, "input drift", INPUT_SHADE))
    return out


def chart_svg(s, timeline):
    """The three panels as SVG text (no XML prologue, no fixed size)."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
        from matplotlib.lines import Line2D
    except ImportError as e:
        raise ChartError(f"matplotlib is missing ({e}): install Debian's python3-matplotlib "
                         "(scripts/deps.sh does)")
    matplotlib.rcParams.update({"svg.hashsalt": "iris-lambda-demo", "svg.fonttype": "path",
                                "font.size": 10.5, "axes.titlesize": 11.5,
                                "axes.titleweight": "bold", "axes.titlelocation": "left"})
    batches = timeline["batches"]
    end = max(timeline["recordsSeen"], s.get("produced", 0), 1)
    phases = _phases(s, end)
    size = max(s.get("batchSize", 20), round(end / 40))
    wins = demo_timeline.windows(batches, size, [p[0] for p in phases])
    fig = Figure(figsize=(11.5, 8.6), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [1.15, 1, 1.1]})
    acc_ax, aty_ax, ev_ax = axes
    for ax, gid in zip(axes, ("plot-accuracy", "plot-atypical", "plot-evidence")):
        ax.patch.set_gid(gid)
        for lo, hi, _name, colour in phases:
            ax.axvspan(lo, hi, color=colour, lw=0, zorder=0)
        ax.grid(True, color="#e6e6e6", lw=0.8, zorder=1)
        ax.set_axisbelow(True)
        ax.set_xlim(0, end)
    tests = timeline["tests"]
    mid = [(w["start"] + w["end"]) / 2 for w in wins]

    # Accuracy per window.
    acc = [(x, w["correct"] / w["labelled"]) for x, w in zip(mid, wins)
           if w["labelled"] and w["correct"] is not None]
    acc_ax.plot([x for x, _ in acc], [y for _, y in acc], "-o", color=ACC, ms=3.5, lw=1.8,
                zorder=3, label=f"accuracy per window of about {size} records")
    if "accuracy" in tests:
        acc_ax.axhline(1 - tests["accuracy"]["inControl"], color="#555555", ls="--", lw=1.1,
                       zorder=2, label="expected (1 - in-control error rate)")
    acc_ax.set_ylim(0, 1.16)
    acc_ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    _pct_axis(acc_ax)
    acc_ax.set_ylabel("accuracy")
    acc_ax.set_title("Accuracy of the labelled records")
    names = [(0, phases[0][0] if phases else end, "clean")] + [(lo, hi, n) for lo, hi, n, _ in
                                                                 phases]
    for lo, hi, name in names:
        if hi > lo:
            acc_ax.text((lo + hi) / 2, 1.075, name, ha="center", va="center", fontsize=10,
                        color="#333333", zorder=7,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                              "alpha": 0.75})

    # Share of atypical inputs per window.
    aty = [(x, w["atypical"] / w["records"]) for x, w in zip(mid, wins)
           if w["records"] and w["atypical"] is not None]
    aty_ax.plot([x for x, _ in aty], [y for _, y in aty], "-o", color=ATY, ms=3.5, lw=1.8,
                zorder=3, label="atypical share per window")
    if "inputs" in tests:
        aty_ax.axhline(tests["inputs"]["inControl"], color="#555555", ls="--", lw=1.1, zorder=2,
                       label="expected (in-control rate)")
    top = max([y for _, y in aty] + [0.1])
    aty_ax.set_ylim(0, min(1.0, top * 1.2 + 0.02))
    _pct_axis(aty_ax)
    aty_ax.set_ylabel("atypical inputs")
    aty_ax.set_title("Inputs atypical of the training data")

    # Evidence of each test after each invocation.
    xs = [0] + [b["end"] for b in batches]
    for key, colour, label in (("accuracyEvidence", ACC, "accuracy test"),
                               ("inputEvidence", ATY, "input-drift test")):
        ys = [0] + [b[key] if b[key] is not None else float("nan") for b in batches]
        ev_ax.plot(xs, ys, color=colour, lw=1.8, zorder=3, label=f"{label} evidence")
    hs = {round(t["threshold"], 3) for t in tests.values()}
    for h in sorted(hs):
        ev_ax.axhline(h, color=THRESHOLD, ls="--", lw=1.3, zorder=2,
                      label=f"alert threshold h = {h:g}")
    peak = max([h for h in hs] + [b[k] for b in batches for k in ("accuracyEvidence",
                                                                     "inputEvidence")
                                  if b[k] is not None] + [1.0])
    ev_ax.set_ylim(0, peak * 1.15)
    ev_ax.set_ylabel("log likelihood ratio")
    ev_ax.set_title("Sequential tests: evidence of a change (an alert when it reaches h)")
    ev_ax.set_xlabel("records scored, in the order the function saw them")

    # Alerts and recoveries, where the function published them.
    for n, a in enumerate(timeline["alerts"], 1):
        if a["at"] is None:
            continue
        colour = RECOVERY if a["recovery"] else ALARM
        for ax in axes:
            ax.axvline(a["at"], color=colour, lw=1.3, ls=(0, (4, 2)), zorder=5)
        trans = acc_ax.get_xaxis_transform()
        marker = acc_ax.plot([a["at"]], [1.0], marker="^" if a["recovery"] else "v",
                             color=colour, ms=11, transform=trans, clip_on=False, zorder=6,
                             ls="none")[0]
        marker.set_gid(f"alert-marker-{n}")
        acc_ax.annotate(str(n), (a["at"], 1.0), xycoords=trans, xytext=(7, 4),
                        textcoords="offset points", color=colour, fontsize=10,
                        fontweight="bold", annotation_clip=False)
    extra = [Patch(color=c, label=n) for _lo, _hi, n, c in phases]
    extra += [Line2D([], [], color=ALARM, marker="v", ms=9, ls=(0, (4, 2)),
                     label="alert published")]
    if any(a["recovery"] for a in timeline["alerts"]):
        extra.append(Line2D([], [], color=RECOVERY, marker="^", ms=9, ls=(0, (4, 2)),
                            label="recovery published"))
    for ax, more in ((acc_ax, extra), (aty_ax, []), (ev_ax, [])):
        handles, _labels = ax.get_legend_handles_labels()
        ax.legend(handles=handles + more, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False, fontsize=9.5)
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    text = text[text.index("<svg"):]
    # The page sizes the chart: drop the fixed width and height (in pt).
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1', text, count=1)


def _table(rows, head=None):
    out = ["<table>"]
    if head:
        out.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td{' class=n' if isinstance(c, int) else ''}>"
                                    f"{c if isinstance(c, _Raw) else html.escape(str(c))}</td>"
                                    for c in row) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


class _Raw(str):
    """Already HTML."""


def _matrix(m):
    rows = [[_Raw(f"<b>{html.escape(s)}</b>")] + [m[s][t] for t in demo_report.SPECIES]
            for s in demo_report.SPECIES]
    return _table(rows, ["label \\ predicted"] + demo_report.SPECIES)


def page(s, timeline, elapsed, problems):
    svg = chart_svg(s, timeline)
    if problems:
        verdict = ("<p class='verdict failed'>FAILED: " +
                   "; ".join(html.escape(p) for p in problems) + "</p>")
    else:
        verdict = ("<p class='verdict ok'>OK: every record scored exactly once; no alert before "
                   "the drift, one for each drift, in time.</p>")
    # demo_report.analyse read the same SNS messages in the same order.
    phases = [a.get("phase", "") for a in s.get("alerts", [])]
    alerts = []
    for n, a in enumerate(timeline["alerts"], 1):
        cls = "recovery" if a["recovery"] else "alarm"
        alerts.append([_Raw(f"<span class='{cls}'>{n}</span>"), a["kind"],
                       a["at"] if a["at"] is not None else "not in the function's log",
                       phases[n - 1] if len(phases) == len(timeline["alerts"]) else "",
                       a["subject"]])
    summary = demo_report.summary_rows(s) + demo_report.alert_rows(s) + \
        [("wall time", f"{elapsed:.1f} s")]
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>iris-lambda demo report</title>
<style>{CSS}</style>
</head>
<body>
<h1>iris-lambda demo: report</h1>
{verdict}
<figure>
{svg}
<figcaption>The run as the function saw it (its log and CloudWatch metric lines). x: records
scored, in the order the function saw them; shaded: the drift phases (each produced once the
function had scored the one before). Accuracy and the atypical share are per window of about
{max(s.get("batchSize", 20), round(max(timeline["recordsSeen"], 1) / 40))} records; the evidence
is each sequential test's log likelihood ratio after each invocation (during an open episode,
h minus the evidence of recovery). Markers: the alerts (&#9660;) and recoveries (&#9650;) the
local SNS accepted, numbered as below, where the function published them.</figcaption>
</figure>
<h2>Alerts at the local SNS</h2>
{_table(alerts, ["#", "kind", "published after record", "phase", "subject"]) if alerts
 else "<p>none</p>"}
<h2>Summary</h2>
{_table(summary)}
<h2>Confusion matrices</h2>
<div class="matrices">
<div><p>before the drift</p>
{_matrix(s["confusion"]["before"])}</div>
<div><p>during the label drift (labels corrupted by the drift)</p>
{_matrix(s["confusion"]["after"])}</div>
</div>
</body>
</html>
"""


def write(path, s, timeline, elapsed, problems):
    """Writes the page to path (its folder created) through a temporary file
    and a rename."""
    text = page(s, timeline, elapsed, problems)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
