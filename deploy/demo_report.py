"""deploy/demo_report.py: what `make demo` concludes from a run.

Input: the records read back from iris-classified (each an element of the
function's response), the number produced, where the drift starts, and the
alerts the local SNS accepted.  Output: a JSON-able summary and its text form.

The producer streams one record at a time, and the demo produces each phase
only after the function has scored the one before, so the record timestamps
(produce time, carried through to the results) give the phases: the first
`drift_after` records by timestamp are the clean ones.
"""
import json

SPECIES = ["setosa", "versicolor", "virginica"]


def record_key(p):
    return (p.get("topic"), p.get("partition"), p.get("offset"))


def _phase_of(index, drift_after, inputs_at):
    if index is None:
        return "after drift"
    if index < drift_after:
        return "before drift"
    return "label drift" if index < inputs_at else "input drift"


def analyse(results, produced, drift_after, alerts, inputs_at=None, batch_size=20, fleet=False):
    """inputs_at: where the input drift starts (None: no input-drift phase).
    fleet: several execution environments share their episodes (TASKS > 1):
    the fleet may take up to 1.5 times the records one environment seeing
    the whole stream needs (lambda/ALERTS.md, "Fleet"), so the bounds are 3
    and 8 batches instead of 2 and 5."""
    if inputs_at is None:
        inputs_at = produced
    payloads = [r.get("payload") for r in results if isinstance(r, dict)]
    # A record the function could not read has its "error" inside the payload.
    errors = [r for r in results if not isinstance(r, dict) or not isinstance(r.get("payload"), dict)
              or "error" in r["payload"]]
    seen = {}
    for p in payloads:
        if isinstance(p, dict):
            seen.setdefault(record_key(p), []).append(p)
    dupes = sum(len(v) - 1 for v in seen.values())
    unique = [v[0] for v in seen.values()]
    predicted = [p for p in unique if p.get("predictedSpecies") in SPECIES]

    ordered = sorted(unique, key=lambda p: (p.get("timestamp") or 0, p.get("partition") or 0,
                                            p.get("offset") or 0))
    before = ordered[:drift_after]
    after = ordered[drift_after:inputs_at]
    inputs = ordered[inputs_at:]
    index = {record_key(p): i for i, p in enumerate(ordered)}
    ambiguous = (0 < drift_after < len(ordered) and
                 ordered[drift_after - 1].get("timestamp") == ordered[drift_after].get("timestamp"))
    clean = {record_key(p) for p in before}

    def accuracy(ps):
        judged = [p for p in ps if p.get("correct") in (True, False)]
        ok = sum(1 for p in judged if p["correct"] is True)
        return {"judged": len(judged), "correct": ok,
                "accuracy": round(ok / len(judged), 4) if judged else None}

    def confusion(ps):
        m = {s: {t: 0 for t in SPECIES} for s in SPECIES}
        for p in ps:
            s, t = p.get("species"), p.get("predictedSpecies")
            if s in m and t in SPECIES:
                m[s][t] += 1
        return m

    alert_rows = []
    for a in alerts:
        try:
            msg = json.loads(a.get("message", ""))
        except ValueError:
            msg = {}
        kind = msg.get("kind") or "batch"
        at = msg.get("decidedAt")
        if isinstance(at, dict):
            # A sequential alert: its phase is where its test decided.
            phase = _phase_of(index.get((at.get("topic"), at.get("partition"), at.get("offset"))),
                              drift_after, inputs_at)
        else:
            keys = set()
            for r in msg.get("offsetRanges", []):
                for off in range(r.get("firstOffset", 0), r.get("lastOffset", -1) + 1):
                    keys.add((r.get("topic"), r.get("partition"), off))
            phase = "before drift" if keys and keys <= clean else "after drift"
        alert_rows.append({"subject": a.get("subject"), "phase": phase, "kind": kind,
                           "records": msg.get("records"), "accuracy": msg.get("accuracy"),
                           "decidedAt": at if isinstance(at, dict) else None})

    def first(kind, phase, drifted, batches):
        """The first alert of kind in phase, and how many of the phase's
        records the function had scored when it decided, in the order it saw
        them.  The demo produces each phase only once the function has scored
        the one before, so the function sees the phase's records after every
        earlier one; the delay is the larger of two counts of what it had seen
        of the phase: the alert's own evidence (its `records`, the stretch
        since the change began up to the deciding record, in the function's
        order) and the phase's records on the deciding partition up to the
        deciding offset (the connector hands each partition in offset order)."""
        rows = [r for r in alert_rows if r["kind"] == kind and r["phase"] == phase]
        if not rows or rows[0]["decidedAt"] is None:
            return None
        at = rows[0]["decidedAt"]
        on_partition = sum(1 for p in drifted if p.get("topic") == at.get("topic") and
                           p.get("partition") == at.get("partition") and
                           (p.get("offset") or 0) <= (at.get("offset") or 0))
        evidence = rows[0]["records"] if isinstance(rows[0]["records"], int) else 0
        n = max(on_partition, evidence)
        return {"subject": rows[0]["subject"], "records": n,
                "partition": f"{at.get('topic')}/{at.get('partition')}",
                "withinBatches": batches, "inTime": n <= batches * batch_size}

    return {
        "produced": produced,
        "driftAfter": drift_after,
        "resultsRead": len(results),
        "recordsScored": len(predicted),
        "uniqueRecords": len(unique),
        "duplicates": dupes,
        "missing": max(0, produced - len(unique)),
        "errors": len(errors),
        "boundaryAmbiguous": ambiguous,
        "before": accuracy(before),
        "after": accuracy(after),
        "inputsAt": inputs_at if inputs_at < produced else None,
        "inputs": accuracy(inputs),
        "batchSize": batch_size,
        "firstAccuracyAlert": first("accuracy-drop", "label drift", after, 3 if fleet else 2),
        "firstInputAlert": first("input-drift", "input drift", inputs, 8 if fleet else 5),
        "confusion": {"before": confusion(before), "after": confusion(after)},
        "alerts": alert_rows,
        "alertsBefore": sum(1 for a in alert_rows if a["phase"] == "before drift"),
        "alertsAfter": sum(1 for a in alert_rows if a["phase"] != "before drift"),
    }


def _check_first_alert(problems, s, first, kind, drift):
    """The first alert of a kind: missing, or later than its bound in batches."""
    if first is None:
        problems.append(f"no {kind} alert during the {drift}")
    elif not first["inTime"]:
        problems.append(f"the {kind} alert took {first['records']} records, more than "
                        f"{first['withinBatches']} batches of {s['batchSize']}")


def verdict(s):
    """The problems that make the run a failure (empty when it passed)."""
    problems = []
    if s["uniqueRecords"] != s["produced"] or s["missing"]:
        problems.append(f"{s['missing']} of {s['produced']} records never reached iris-classified")
    # The connector delivers at least once: after a rebalance the records a
    # task had not committed are delivered again to the partition's next
    # owner.  Without one, a record scored twice is a fault.
    if s["duplicates"] and not s.get("reassignments"):
        problems.append(f"{s['duplicates']} records were scored more than once, and the "
                        "connector's group did not rebalance")
    if s["recordsScored"] != s["produced"]:
        problems.append(f"{s['produced'] - s['recordsScored']} records have no prediction")
    if s["alertsBefore"]:
        problems.append(f"{s['alertsBefore']} alert(s) before the drift")
    if not s["alertsAfter"]:
        problems.append("no alert after the drift")
    _check_first_alert(problems, s, s.get("firstAccuracyAlert"), "accuracy-drop", "label drift")
    if s.get("inputsAt") is not None:
        _check_first_alert(problems, s, s.get("firstInputAlert"), "input-drift", "input drift")
    if s.get("errorTopicRecords"):
        problems.append(f"{s['errorTopicRecords']} records went to the connector's error topic "
                        "(a failed invocation)")
    return problems


def _again(s):
    """The records scored more than once, and why when the group rebalanced."""
    if s.get("reassignments"):
        return (f"delivered again after a rebalance {s['duplicates']} "
                f"({s['reassignments']} task assignments after the group settled)")
    return f"duplicates {s['duplicates']}"


def _pct(a):
    return "n/a" if a["accuracy"] is None else f"{100 * a['accuracy']:.1f}%"


def _matrix(m):
    w = max(len(s) for s in SPECIES) + 2
    lines = ["  " + "label \\ predicted".ljust(w + 8) + "".join(s.rjust(w) for s in SPECIES)]
    for s in SPECIES:
        lines.append("  " + s.ljust(w + 8) + "".join(str(m[s][t]).rjust(w) for t in SPECIES))
    return lines


def summary_rows(s):
    """The report's table, (label, value) rows: the text report and the HTML
    page (deploy/demo_html.py) both show exactly these."""
    conn = s.get("connector", {})
    rows = [
        ("records produced", f"{s['produced']} (label drift from record {s['driftAfter'] + 1}" +
         (f", input drift from record {s['inputsAt'] + 1})" if s.get("inputsAt") is not None
          else ")")),
        ("records scored", f"{s['recordsScored']} (in iris-classified: {s['uniqueRecords']}, "
                           f"{_again(s)}, missing {s['missing']})"),
        ("connector error topic", f"{s.get('errorTopicRecords', 0)} records "
                                  f"(input.data.format={conn.get('input.data.format', '?')}, "
                                  f"{conn.get('record.converter.class', '?')})"),
        ("accuracy before the drift",
         f"{_pct(s['before'])} ({s['before']['correct']}/{s['before']['judged']})"),
        ("accuracy, label drift",
         f"{_pct(s['after'])} ({s['after']['correct']}/{s['after']['judged']})"),
    ]
    if s.get("inputsAt") is not None:
        rows.append(("accuracy, input drift",
                     f"{_pct(s['inputs'])} ({s['inputs']['correct']}/{s['inputs']['judged']}; "
                     "noisy measurements, true labels)"))
    rows.append(("alert policy", ", ".join(f"{k}={v}" for k, v in
                                           sorted(s.get("alertPolicy", {}).items()) if v)))
    return rows


def alert_rows(s):
    """The alerts' part of the table, (label, value) rows."""
    rows = [("alerts at the local SNS", f"{len(s['alerts'])} ({s['alertsBefore']} before the "
                                        f"drift, {s['alertsAfter']} after)")]
    for label, a in (("label drift -> accuracy-drop", s.get("firstAccuracyAlert")),
                     ("input drift -> input-drift", s.get("firstInputAlert"))):
        if a is not None:
            rows.append((label, f"alert after {a['records']} drifted records, decided on "
                                f"{a['partition']} ({'within' if a['inTime'] else 'NOT within'} "
                                f"{a['withinBatches']} batches of {s['batchSize']})"))
    return rows


def render(s, elapsed):
    out = ["", "iris-lambda demo: report", "------------------------"]
    out += [f"{label:<26} {value}" for label, value in summary_rows(s)]
    out += [
        "",
        "confusion matrix, before the drift:",
        *_matrix(s["confusion"]["before"]),
        "confusion matrix, during the label drift (labels corrupted by the drift):",
        *_matrix(s["confusion"]["after"]),
        "",
    ]
    first, *delays = alert_rows(s)
    out.append(f"{first[0]:<26} {first[1]}")
    out += [f"  {label} {value}" for label, value in delays]
    shown = s["alerts"][:8]
    for a in shown:
        out.append(f"  [{a['phase']}] {a['subject']}")
    if len(s["alerts"]) > len(shown):
        out.append(f"  ... and {len(s['alerts']) - len(shown)} more")
    out.append(f"{'wall time':<26} {elapsed:.1f} s")
    return "\n".join(out)
