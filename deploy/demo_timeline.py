"""deploy/demo_timeline.py: the run as the function saw it, from its own log.

Input: the function's log (the JSON lines the bootstrap wrote, as the Runtime
API emulator kept them) and the messages the local SNS accepted.  Output: a
JSON-able timeline for deploy/demo_html.py:

  batches     one per invocation, in the order the function wrote them: the
              records it had scored by the end of it ("end"), and from that
              invocation's CloudWatch EMF line (lambda/handler.c
              handler_write_emf, lambda/monitor.c monitor_write_emf_values)
              Records, AtypicalRecords, AccuracyEvidence and
              InputDriftEvidence; from its "batch scored" line the labelled
              and correct counts (None when that line is missing);
  tests       per sequential test ("accuracy", "inputs"): the in-control rate,
              the rate it is tuned for and the alert threshold h, from the
              line the function logs at init;
  alerts      one per message the local SNS accepted, in its order: kind,
              subject, messageId, recovery (an episode's end) and "at", the
              records the function had scored when it published it (the end
              of the invocation whose "alert published" line has the same
              messageId; None when no line has it).

The x axis of every chart is that count of records: the demo produces each
phase only once the function has scored the one before, so the phases are
the record ranges [0, driftAfter), [driftAfter, inputsAt), [inputsAt, end).
"""
import json
import re

RECOVERY_KINDS = ("accuracy-recovered", "input-drift-over")
_TEST_LINE = re.compile(r"sequential (accuracy|inputs) test: in-control rate ([-+.0-9eE]+), "
                        r"tuned for ([-+.0-9eE]+), threshold ([-+.0-9eE]+)")


def _lines(log_text):
    for line in log_text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue  # the emulator's own lines
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            yield obj


def _num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def parse(log_text, published):
    """The timeline of one run (see the module's comment)."""
    batches, tests, placed = [], {}, {}
    scored = None  # the "batch scored" line waiting for its EMF line
    pending = []   # messageIds published in the invocation not yet closed
    end = 0
    for obj in _lines(log_text):
        msg = obj.get("message")
        if "_aws" in obj:
            records = _num(obj.get("Records")) or 0
            end += records
            same = scored is not None and scored.get("records") == records
            batches.append({
                "end": end, "records": records,
                "labelled": _num(scored.get("labelled")) if same else None,
                "correct": _num(scored.get("correct")) if same else None,
                "accuracy": _num(obj.get("Accuracy")),
                "atypical": _num(obj.get("AtypicalRecords")),
                "accuracyEvidence": _num(obj.get("AccuracyEvidence")),
                "inputEvidence": _num(obj.get("InputDriftEvidence")),
            })
            for mid in pending:
                placed[mid] = end
            scored, pending = None, []
        elif msg == "batch scored":
            scored = obj
        elif msg == "alert published" and isinstance(obj.get("messageId"), str):
            pending.append(obj["messageId"])
        elif isinstance(msg, str):
            m = _TEST_LINE.search(msg)
            if m:
                tests[m.group(1)] = {"inControl": float(m.group(2)), "tunedFor": float(m.group(3)),
                                     "threshold": float(m.group(4))}
    alerts = []
    for a in published or []:
        mid = a.get("messageId")
        try:
            kind = json.loads(a.get("message", "")).get("kind") or "batch"
        except (ValueError, AttributeError):
            kind = "batch"
        alerts.append({"kind": kind, "subject": a.get("subject") or "", "messageId": mid,
                       "recovery": kind in RECOVERY_KINDS, "at": placed.get(mid)})
    return {"batches": batches, "tests": tests, "alerts": alerts, "recordsSeen": end}


def windows(batches, size, cuts=()):
    """Consecutive batches grouped into windows of at least `size` records,
    closed at each cut (a phase boundary) the batches reach: [{"start",
    "end", "records", "labelled", "correct", "atypical"}].  labelled and
    correct are None in a window with a batch whose counts are unknown."""
    out, cur, prev_end = [], None, 0
    cuts = sorted(c for c in cuts if c)
    for b in batches:
        if cur is None:
            cur = {"start": prev_end, "end": prev_end, "records": 0, "labelled": 0, "correct": 0,
                   "atypical": 0}
        cur["end"] = prev_end = b["end"]
        cur["records"] += b["records"]
        for k in ("labelled", "correct", "atypical"):
            cur[k] = None if b[k] is None or cur[k] is None else cur[k] + b[k]
        reached = False
        while cuts and cuts[0] <= b["end"]:
            cuts.pop(0)
            reached = True
        if cur["records"] >= size or reached:
            out.append(cur)
            cur = None
    if cur is not None:
        out.append(cur)
    return out
