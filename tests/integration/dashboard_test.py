#!/usr/bin/python3
"""tests/integration/dashboard_test.py: the CloudWatch dashboard in template.yaml
shows only metrics the function really emits, as it emits them.

The real bootstrap (BOOTSTRAP, build/asan/bootstrap) runs under the Runtime API
emulator with alerts going to the local SNS, on a stream that raises both
sequential alarms (labels going wrong, then inputs shifting), has an alert SNS
refuses, and carries an invalid record.  Its EMF lines (the JSON log lines with
"_aws") say which metrics exist, in which namespace, with which dimensions and
units.  The dashboard body is resolved as CloudFormation would (!Sub, !If,
!FindInMap; tests/integration/cfn_template.py) and must be valid JSON; then:

- every metric of the function's namespace on it is one the run emitted, with
  the same namespace, the dimension FunctionName set to the function's name,
  and a statistic that fits the unit (Sum for a Count, not for a ratio);
- the AWS/Lambda metrics are Lambda's documented function metrics
  (Invocations, Errors, Throttles, Duration; Lambda developer guide, "Types of
  metrics for Lambda functions") by FunctionName;
- every metric the run emitted is on the dashboard, and the run gave each a
  non-zero value somewhere (so no widget stays empty when the function works);
- the reference lines are the shipped model's: healthy accuracy
  1 - monitoring.error_rate and atypical share monitoring.atypical_rate of
  model/iris-model.json, and the alert threshold ln(1 / AlertFalseAlarmRate)
  that the bootstrap itself logs at start-up;
- the dashboard is named after the stack, follows the Managed Instances
  function when there is one, and is gone with Dashboard=false.
Closes with "N passed, N failed".
"""
import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cfn_template  # noqa: E402
import sns_testlib as lib  # noqa: E402
from rapi_harness import Function  # noqa: E402
from testlib import ROOT, check, finish  # noqa: E402

BOOTSTRAP = os.path.abspath(os.environ.get("BOOTSTRAP", os.path.join(ROOT, "build", "asan",
                                                                     "bootstrap")))
TEMPLATE = os.path.join(ROOT, "template.yaml")
MODEL = os.path.join(ROOT, "model", "iris-model.json")
LAMBDA_METRICS = {"Invocations", "Errors", "Throttles", "Duration"}


def record(offset, **kind):
    return lib.iris_record(offset, ms_per_offset=1000, **kind)


def run_stream():
    """The bootstrap's log lines for a stream that raises both alarms."""
    sns = lib.LocalSns()
    env = {"ALERT_MODE": "sequential", "SNS_TOPIC_ARN": lib.TOPIC_ARN, "AWS_REGION": lib.REGION,
           "AWS_ENDPOINT_URL_SNS": sns.url, "AWS_ACCESS_KEY_ID": lib.KEY_ID,
           "AWS_SECRET_ACCESS_KEY": lib.SECRET, "METRICS_NAMESPACE": "IrisLambda"}
    offset = 0
    try:
        with Function(BOOTSTRAP, env=env) as fn:
            def send(n, **kind):
                nonlocal offset
                recs = [record(offset + j, **kind) for j in range(n)]
                fn.invoke(recs)
                offset += n
            for _ in range(30):
                send(20)
            bad = [record(offset), {"payload": {"topic": "iris", "partition": 0,
                                                "offset": offset + 1, "key": None,
                                                "value": {"sepalLength": "x"}}}]
            fn.invoke(bad)
            offset += 2
            for _ in range(4):
                send(20, wrong=True)
            # SNS refuses the next alert (the input-drift one): a publish failure.
            sns.fault(code="InternalError", count=50)
            for _ in range(10):
                send(20, labelled=False, petal_shift=1.0)
            published = sns.published()
            return fn.log_lines(), fn.output(), published
    finally:
        sns.stop()


def emitted_metrics(lines):
    """name -> {"namespace", "unit", "dims", "function", "max"} from the EMF lines."""
    out = {}
    for line in lines:
        aws = line.get("_aws")
        if not aws:
            continue
        for cw in aws.get("CloudWatchMetrics", []):
            for m in cw.get("Metrics", []):
                e = out.setdefault(m["Name"], {"namespace": set(), "unit": set(), "dims": set(),
                                               "function": set(), "max": float("-inf")})
                e["namespace"].add(cw.get("Namespace"))
                e["unit"].add(m.get("Unit"))
                e["dims"].update(tuple(d) for d in cw.get("Dimensions", []))
                e["function"].add(line.get("FunctionName"))
                v = line.get(m["Name"])
                if isinstance(v, (int, float)):
                    e["max"] = max(e["max"], v)
    return out


def body(overrides=None):
    t = cfn_template.load(TEMPLATE)
    res, _, _ = cfn_template.deployed(t, overrides)
    dash = res.get("IrisDashboard")
    if dash is None:
        return None, None, res
    text = dash["Properties"]["DashboardBody"]
    try:
        return json.loads(text), dash, res
    except ValueError as e:
        check(f"the dashboard body is valid JSON after !Sub ({overrides or 'defaults'})", False,
              "JSON", f"{e}: {text[:300]}")
        return None, dash, res


def metric_rows(widget):
    """(namespace, name, dims dict, options) per metric row; expressions apart."""
    rows, exprs = [], []
    for row in widget["properties"].get("metrics", []):
        opts = row[-1] if row and isinstance(row[-1], dict) else {}
        plain = row[:-1] if opts else row
        if not plain:
            exprs.append(opts)
            continue
        ns, name, rest = plain[0], plain[1], plain[2:]
        rows.append((ns, name, dict(zip(rest[0::2], rest[1::2])), opts))
    return rows, exprs


def annotations(widget):
    return {a.get("label"): a.get("value")
            for a in widget["properties"].get("annotations", {}).get("horizontal", [])}


def check_metrics(d, emitted, fn_name, namespace):
    shown = set()
    for w in d["widgets"]:
        if w.get("type") != "metric":
            continue
        title = w["properties"].get("title")
        check(f"'{title}': per minute in the stack's region",
              w["properties"].get("period") == 60 and w["properties"].get("region") == "us-east-1",
              (60, "us-east-1"), (w["properties"].get("period"), w["properties"].get("region")))
        rows, exprs = metric_rows(w)
        ids = {o.get("id") for _, _, _, o in rows if o.get("id")}
        for ns, name, dims, opts in rows:
            what = f"'{title}': {ns} {name} {opts.get('stat')}"
            if ns == "AWS/Lambda":
                check(f"{what} is one of Lambda's function metrics, by FunctionName",
                      name in LAMBDA_METRICS and dims == {"FunctionName": fn_name},
                      (sorted(LAMBDA_METRICS), {"FunctionName": fn_name}), (name, dims))
                continue
            shown.add(name)
            e = emitted.get(name)
            check(f"{what}: the function emits it", e is not None, "an EMF metric",
                  sorted(emitted))
            if e is None:
                continue
            check(f"{what}: in the function's namespace ({namespace})",
                  ns == namespace and e["namespace"] == {namespace}, namespace,
                  (ns, e["namespace"]))
            check(f"{what}: dimension FunctionName, the function's name, as emitted",
                  dims == {"FunctionName": fn_name} and e["dims"] == {("FunctionName",)},
                  ({"FunctionName": fn_name}, {("FunctionName",)}), (dims, e["dims"]))
            unit = next(iter(e["unit"])) if len(e["unit"]) == 1 else e["unit"]
            fits = (opts.get("stat") == "Sum") if unit == "Count" else \
                (unit == "None" and opts.get("stat") in ("Average", "Maximum", "Minimum"))
            check(f"{what}: the statistic fits the emitted unit {unit}", fits,
                  "Sum for Count; Average/Maximum/Minimum for None", opts.get("stat"))
        for x in exprs:
            used = set(re.findall(r"[a-z][A-Za-z0-9_]*", x.get("expression", "")))
            check(f"'{title}': expression {x.get('expression')!r} uses this widget's metrics",
                  used and used <= ids, sorted(ids), sorted(used))
    missing = sorted(set(emitted) - shown)
    check("every metric the function emits is on the dashboard", not missing, "none missing",
          missing)
    return shown


def main():
    if not os.access(BOOTSTRAP, os.X_OK):
        check(f"{os.path.relpath(BOOTSTRAP, ROOT)} is built", False, "an executable", "missing")
        return finish()
    lines, output, published = run_stream()
    emitted = emitted_metrics(lines)
    check("the run published the accuracy-drop alert and SNS refused the input-drift one",
          [p["messageAttributes"]["kind"]["StringValue"] for p in published] == ["accuracy-drop"],
          ["accuracy-drop"], [p["messageAttributes"]["kind"]["StringValue"] for p in published])
    check("the bootstrap wrote EMF lines", len(emitted) >= 9, ">= 9 metrics", sorted(emitted))
    for name, e in sorted(emitted.items()):
        check(f"the run gave {name} a non-zero value (its widget has data)", e["max"] > 0, "> 0",
              e["max"])
    fns = set().union(*(e["function"] for e in emitted.values())) if emitted else set()
    check("the EMF FunctionName is the function's name (the emulator's AWS_LAMBDA_FUNCTION_NAME)",
          fns == {"function"}, {"function"}, fns)

    d, dash, _ = body()
    check("Dashboard defaults to true: the dashboard exists", d is not None, "a dashboard", dash)
    if d is None:
        return finish()
    check("the dashboard is named after the stack",
          dash["Properties"]["DashboardName"] == cfn_template.PSEUDO["AWS::StackName"],
          cfn_template.PSEUDO["AWS::StackName"], dash["Properties"]["DashboardName"])
    # The function's name: what !Ref gives the dimension, as Lambda sets
    # AWS_LAMBDA_FUNCTION_NAME from it.
    shown = check_metrics(d, emitted, "<IrisScoringFunction>", "IrisLambda")
    check("the dashboard shows the sequential tests' evidence, both alarms, the alerts sent and "
          "those not published", {"AccuracyEvidence", "InputDriftEvidence", "AccuracyDropAlerts",
                                  "InputDriftAlerts", "AlertsPublished",
                                  "AlertPublishFailures"} <= shown, "all six", sorted(shown))

    with open(MODEL) as f:
        mon = json.load(f)["monitoring"]
    by_title = {w["properties"].get("title"): w for w in d["widgets"] if w["type"] == "metric"}
    acc = annotations(by_title["Accuracy per minute"])
    want = round(1 - mon["error_rate"], 4)
    check("accuracy's reference line is the model's healthy accuracy (1 - error_rate of "
          "model/iris-model.json)", acc.get("healthy accuracy (model)") == want, want, acc)
    m = re.search(r"sequential accuracy test: in-control rate ([0-9.]+)", output)
    check("... which is what the bootstrap itself takes as in control",
          m is not None and abs((1 - float(m.group(1))) - want) < 1e-4, want,
          m.group(0) if m else output[:300])
    share = annotations(by_title["Atypical inputs"])
    want = round(mon["inputs"]["atypical_rate"], 4)
    check("the atypical share's reference line is the model's atypical_rate",
          share.get("healthy share (model)") == want, want, share)
    thr = annotations(by_title["Sequential tests: evidence against the alert threshold"])
    rate = float(cfn_template.parameter_values(cfn_template.load(TEMPLATE))["AlertFalseAlarmRate"])
    want = round(math.log(1 / rate), 2)
    m = re.search(r"sequential accuracy test: .*threshold ([0-9.]+)", output)
    check("the alert threshold line is ln(1 / AlertFalseAlarmRate) for the default rate",
          thr.get("alert threshold") == want, want, thr)
    check("... the threshold the bootstrap logs at start-up",
          m is not None and round(float(m.group(1)), 2) == want, want,
          m.group(0) if m else output[:300])
    ev = emitted.get("AccuracyEvidence", {}).get("max", 0)
    exact = math.log(1 / rate)
    check("the run's accuracy evidence reached the threshold (the alarm is visible on the line)",
          ev >= exact - 1e-6, f">= {exact}", ev)

    d2, _, _ = body({"AlertExpectedAccuracy": "0.95", "AlertFalseAlarmRate": "0.000001"})
    if d2 is not None:
        by = {w["properties"].get("title"): w for w in d2["widgets"] if w["type"] == "metric"}
        check("AlertExpectedAccuracy set: the healthy line is that value",
              annotations(by["Accuracy per minute"]).get("healthy accuracy (model)") == 0.95,
              0.95, annotations(by["Accuracy per minute"]))
        check("another AlertFalseAlarmRate: no threshold line (its value is not known to the "
              "template), the body still valid JSON",
              annotations(by["Sequential tests: evidence against the alert threshold"]) == {},
              {}, annotations(by["Sequential tests: evidence against the alert threshold"]))
    d3, _, _ = body({"CapacityProviderArn":
                     "arn:aws:lambda:us-east-1:123456789012:capacity-provider:iris"})
    if d3 is not None:
        check_metrics(d3, emitted, "<IrisScoringManagedFunction>", "IrisLambda")
    d4, dash4, res4 = body({"Dashboard": "false"})
    check("Dashboard=false: no dashboard", dash4 is None and "IrisDashboard" not in res4,
          "absent", dash4)
    d5, _, _ = body({"MetricsNamespace": "Team/Iris models"})
    if d5 is not None:
        rows = [r for w in d5["widgets"] if w["type"] == "metric" for r in metric_rows(w)[0]]
        check("another MetricsNamespace: every function metric follows it",
              {r[0] for r in rows} == {"Team/Iris models", "AWS/Lambda"},
              {"Team/Iris models", "AWS/Lambda"}, {r[0] for r in rows})
    return finish()


if __name__ == "__main__":
    sys.exit(main())
