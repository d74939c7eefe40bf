#!/usr/bin/python3
"""deploy/demo.py (`make demo`): the whole pipeline on local stand-ins, on 127.0.0.1.

  1. kafka-local: embedded Kafka, topics iris (3 partitions) and iris-classified;
  2. the local SNS (verifies SigV4 signatures) with the topic iris-alerts;
  3. the Runtime API emulator running the bootstrap, with AWS_ENDPOINT_URL_SNS
     pointing at the local SNS and fake credentials;
  4. build/sink-connector, the Confluent Lambda sink connector stand-in, in the
     original demo's connector configuration (CONNECTOR_CONFIG below:
     input.data.format=JSON with the default record.converter.class, so values
     arrive as Java Map.toString() strings; batches of 20, sync), results to
     iris-classified, failed batches' records to iris-errors
     (behavior.on.error=log), offsets committed after each batch; the
     demo produces nothing until every task holds its partitions (the
     consumer group is stable, deploy/connector_group.py);
  5. build/producer streams --records rows (default 2,000) in three phases:
     clean for the first half; then labels drift (half of them relabelled: the
     model "going wrong") for a quarter; then the inputs drift (Gaussian noise
     on every measurement, labels true: a new sensor) for the last quarter.
     Each phase is a producer run started only once the connector reports the
     function has scored every record of the one before: the phases are
     barriers in time, whatever process runs late or slowly.
The function runs with the template's default alert policy (the Alert*
parameters' defaults in template.yaml: ALERT_MODE=sequential, no demo-only
threshold).  A progress line runs while it works; the report gives records
scored, accuracy in each phase, the confusion matrices and the alerts the
local SNS received.  The same report, with a timeline of the run drawn from
the function's own log and metric lines (deploy/demo_timeline.py), is
written as one self-contained HTML page (deploy/demo_html.py; --html-report,
default build/demo/report.html), and the last line printed names it.  Exit 0
when every record was scored once (or, after a rebalance of the connector's
group, again: delivery is at least once, and a record scored twice with no
rebalance fails the run), no alert came before the drift,
an accuracy-drop alert came within two batches of the label drift and an
input-drift alert within five batches of the input drift (three and eight
with --tasks: a fleet may take 1.5 times as many records).  With --tasks N
(make demo TASKS=N) the connector runs tasks.max=N on 2N partitions into N
classic execution environments behind one endpoint (deploy/demo_front.py),
sharing their episodes through the template's alert state table, here on
dynalite: one alert per drift, fleet-wide.  Every process it starts is
stopped on exit, on an error and on Ctrl-C.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import connector_group  # noqa: E402
import demo_front  # noqa: E402
import demo_html  # noqa: E402
import demo_report  # noqa: E402
import demo_timeline  # noqa: E402
import yaml  # noqa: E402
from demo_stack import BUILD, Stack, StackError, http_json, sns_published  # noqa: E402

FUNCTION = "iris-scoring"
RESULT_TOPIC = "iris-classified"
ERROR_TOPIC = "iris-errors"

# The connector's configuration, as a Confluent Cloud user would set it for the
# original demo: each key is a connector property, each value the stand-in's
# option for it (tests/doubles/connector_config.h).  Defaults are spelled out.
CONNECTOR_CONFIG = {
    "aws.lambda.function.name": FUNCTION,
    "aws.lambda.invocation.type": "sync",
    "aws.lambda.batch.size": "20",
    "input.data.format": "JSON",
    "record.converter.class": "JsonKeyValueConverter",
    "behavior.on.error": "log",
    "reporter.result.topic.name": RESULT_TOPIC,
    "reporter.error.topic.name": ERROR_TOPIC,
}
CONNECTOR_OPTIONS = {
    "aws.lambda.function.name": "--function",
    "aws.lambda.invocation.type": "--invocation-type",
    "aws.lambda.batch.size": "--batch-size",
    "input.data.format": "--input-data-format",
    "record.converter.class": "--record-converter",
    "behavior.on.error": "--behavior-on-error",
    "reporter.result.topic.name": "--result-topic",
    "reporter.error.topic.name": "--error-topic",
}


class _TemplateLoader(yaml.SafeLoader):
    """Reads CloudFormation's short tags: !Ref X as {"Ref": X}, others as None."""


_TemplateLoader.add_constructor(
    "!Ref", lambda loader, node: {"Ref": loader.construct_scalar(node)})
_TemplateLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def template_alert_env():
    """The ALERT_* variables as template.yaml sets them with every parameter
    at its default: the policy a stack deployed with defaults runs.  The
    function's Environment.Variables are merged over Globals.Function's, the
    function's value winning, as SAM's Globals section documents for maps
    ("HelloWorldFunction adds the MESSAGE environment variable, in addition
    to the inherited TABLE_NAME")."""
    with open(os.path.join(ROOT, "template.yaml")) as f:
        t = yaml.load(f, Loader=_TemplateLoader)
    params = t.get("Parameters", {})

    def variables(props):
        return ((props or {}).get("Environment") or {}).get("Variables") or {}
    fn = next(r for r in t["Resources"].values() if r.get("Type") == "AWS::Serverless::Function")
    merged = dict(variables((t.get("Globals") or {}).get("Function")))
    merged.update(variables(fn.get("Properties")))
    env = {}
    for name, value in merged.items():
        if not name.startswith("ALERT_"):
            continue
        if isinstance(value, dict) and "Ref" in value:
            value = params.get(value["Ref"], {}).get("Default", "")
        elif isinstance(value, dict):
            value = ""  # a resource's name (ALERT_STATE_TABLE): the demo sets its own
        env[name] = str(value)
    return env


def connector_command(config, brokers, invoke_url, records, tasks=1):
    """build/sink-connector's command line for a connector configuration
    (-v: its log names each task's assignment and each committed batch)."""
    cmd = [os.path.join(BUILD, "sink-connector"), "-b", brokers, "-u", invoke_url, "-t", "iris",
           "--max-records", str(records), "--progress-ms", "250", "--tasks-max", str(tasks), "-v"]
    if tasks > 1:
        cmd += connector_group.KAFKA_LOCAL_GROUP
    for prop, value in config.items():
        cmd += [CONNECTOR_OPTIONS[prop], value]
    return cmd


COMMITTED = re.compile(r"task \d+: (\S+)/(\d+) offsets (\d+)-(\d+): \d+ records committed")


def scored_records(connector_log):
    """Records the connector has had scored, each once: the offsets its
    committed batches covered (its -v lines), so that a record delivered
    again after a rebalance does not count twice.  kafka-local's topics have
    a record at every offset (no transactions, no compaction)."""
    offsets = {}
    for topic, partition, first, last in COMMITTED.findall(connector_log):
        offsets.setdefault((topic, partition), set()).update(range(int(first), int(last) + 1))
    return sum(len(v) for v in offsets.values())


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=2000, help="rows to produce (default 2000)")
    ap.add_argument("--rate", type=int, default=400, help="rows per second (default 400)")
    ap.add_argument("--drift-labels", type=float, default=0.5,
                    help="share of rows relabelled after the halfway point (default 0.5)")
    ap.add_argument("--seed", type=int, default=42, help="producer seed (default 42)")
    ap.add_argument("--tasks", type=int, default=1,
                    help="connector tasks.max (default 1); above 1: that many classic execution "
                         "environments behind one endpoint, 2 partitions a task, sharing their "
                         "alert episodes through dynalite (make demo TASKS=3)")
    ap.add_argument("--batch-size", type=int, default=20,
                    help="the connector's aws.lambda.batch.size (default 20)")
    ap.add_argument("--input-data-format", default="JSON",
                    choices=["JSON", "JSON_SR", "AVRO", "PROTOBUF", "BYTES"],
                    help="the connector's input.data.format (default JSON, the original demo's)")
    ap.add_argument("--format", default="json", choices=["json", "avro", "json_sr", "protobuf"],
                    help="the producer's --format; other than json, values go through the "
                         "local Schema Registry (tests/doubles/schema_registry.py) and the "
                         "connector's input.data.format follows (AVRO, JSON_SR, PROTOBUF)")
    ap.add_argument("--record-converter", default="JsonKeyValueConverter",
                    choices=["JsonKeyValueConverter", "EscapedJsonKeyValueConverter"],
                    help="the connector's record.converter.class (default JsonKeyValueConverter)")
    ap.add_argument("--input-noise", type=float, default=0.5,
                    help="sd in cm of the noise on every measurement in the last quarter "
                         "(the input drift; default 0.5, 0: no input-drift phase)")
    ap.add_argument("--bootstrap", default=os.path.join(BUILD, "bootstrap"),
                    help="the runtime to run (default build/bootstrap; "
                         "build/package/bootstrap for the packaged one)")
    ap.add_argument("--timeout", type=float, default=110.0,
                    help="give up after this many seconds (default 110)")
    ap.add_argument("--json-report", help="also write the summary as JSON to this file")
    ap.add_argument("--html-report", default=os.path.join(BUILD, "demo", "report.html"),
                    help="the report page: a timeline of the run and the summary, one "
                         "self-contained HTML file (default build/demo/report.html)")
    ap.add_argument("--pid-file", help="append the pid of every process started (for tests)")
    ap.add_argument("--keep-logs", action="store_true", help="keep the stand-ins' logs")
    args = ap.parse_args(argv)
    if args.format != "json":
        args.input_data_format = args.format.upper()
    if args.records < 2:
        ap.error("--records must be at least 2")
    return args


class Progress:
    """One line, rewritten in place on a terminal, every few seconds otherwise."""

    def __init__(self):
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def show(self, text, force=False):
        now = time.monotonic()
        if self.tty:
            sys.stderr.write("\r\033[K" + text)
            sys.stderr.flush()
        elif force or now - self.last >= 5:
            sys.stderr.write(text + "\n")
            self.last = now

    def done(self):
        if self.tty:
            sys.stderr.write("\n")


def last_match(text, pattern):
    found = re.findall(pattern, text)
    return found[-1] if found else None


def consume_results(brokers, topic=RESULT_TOPIC):
    out = subprocess.run(["kcat", "-C", "-b", brokers, "-t", topic, "-o", "beginning",
                          "-e", "-q", "-f", "%s\n"], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise StackError(f"kcat could not read {topic}: " + out.stderr.strip()[-300:])
    results = []
    for line in out.stdout.splitlines():
        if line.strip():
            try:
                results.append(json.loads(line))
            except ValueError:
                results.append({"unparsable": line[:200]})
    return results


def run(args, st, progress):
    for path in (args.bootstrap, os.path.join(BUILD, "kafka-local"),
                 os.path.join(BUILD, "sink-connector"), os.path.join(BUILD, "producer")):
        if not os.access(path, os.X_OK):
            raise StackError(f"{path} is not built: run `make` (or `make demo`, which builds it)")
    t0 = time.monotonic()
    progress.show("starting kafka-local, the local SNS and the Runtime API emulator ...", True)
    partitions = 3 if args.tasks <= 1 else 2 * args.tasks
    brokers = st.kafka([f"iris:{partitions}", f"{RESULT_TOPIC}:3", f"{ERROR_TOPIC}:1"])
    sns_url, topic_arn = st.sns("iris-alerts")
    # MODEL_PATH as template.yaml sets it, here the checkout's artifact.
    env = st.function_env(sns_url, topic_arn, **template_alert_env(),
                          MODEL_PATH=os.path.join(ROOT, "model", "iris-model.json"))
    registry = []  # the producer's and the connector's --schema-registry
    if args.format != "json":
        pfile = os.path.join(st.dir, "schema-registry.port")
        p = st.start("schema-registry", [sys.executable, os.path.join(
            ROOT, "tests", "doubles", "schema_registry.py"), "--port-file", pfile])
        registry = ["--schema-registry",
                    f"http://127.0.0.1:{int(st.wait_file(pfile, p, 'the Schema Registry'))}"]
    front = None
    if args.tasks <= 1:
        env["ALERT_STATE_TABLE"] = ""  # one environment: its own episodes
        invoke_url = st.emulator([os.path.abspath(args.bootstrap)], env, function_name=FUNCTION)
    else:
        # Several environments of one function share their episodes (lambda/ALERTS.md,
        # "Fleet") through the template's table, here on dynalite.
        env["ALERT_STATE_TABLE"] = "iris-alert-state"
        env["AWS_ENDPOINT_URL_DYNAMODB"] = st.dynalite(env["ALERT_STATE_TABLE"])
        urls = [st.emulator([os.path.abspath(args.bootstrap)], env, function_name=FUNCTION,
                            name="rapi-emulator" if i == 0 else f"rapi-emulator-{i}")
                for i in range(args.tasks)]
        front = demo_front.LambdaFront(urls)
        invoke_url = front.url
    config = dict(CONNECTOR_CONFIG, **{"aws.lambda.batch.size": str(args.batch_size),
                                       "input.data.format": args.input_data_format,
                                       "record.converter.class": args.record_converter})
    connector = st.start("sink-connector",
                         connector_command(config, brokers, invoke_url, args.records,
                                           max(args.tasks, 1)) + registry)
    half = args.records // 2
    inputs_at = half + (args.records - half) // 2 if args.input_noise > 0 else args.records
    # The phases are barriers in time, as a real drift is: each producer run
    # starts once the function has scored every record of the one before, so
    # however late or slowly the connector runs, the function sees all the
    # clean records, then all the label-drifted ones, then the input-drifted.
    phases = [("producer", half, None, args.seed, half)]
    if inputs_at > half:
        labels = f"after=0,labels={args.drift_labels}" if args.drift_labels > 0 else None
        phases.append(("producer-labels", inputs_at - half, labels, args.seed + 1, inputs_at))
    if inputs_at < args.records:
        phases.append(("producer-inputs", args.records - inputs_at,
                       f"after=0,features={args.input_noise}", args.seed + 2, args.records))

    def record_pids(pids):
        if args.pid_file:
            with open(args.pid_file, "a") as f:
                f.writelines(f"{pid}\n" for pid in pids)

    def start_producer(name, count, drift, seed, _end):
        cmd = [os.path.join(BUILD, "producer"), "-b", brokers, "-t", "iris", "-n", str(count),
               "-r", str(args.rate), "--seed", str(seed), "--progress", "1",
               "--format", args.format] + registry
        p = st.start(name, cmd + (["--drift", drift] if drift else []))
        record_pids([p.pid])
        return p

    deadline = t0 + args.timeout
    # The pid file gets each runtime's pid as soon as its emulator knows it.
    runtime_pids = []
    for url in (front.urls if front else [invoke_url]):
        runtime_pid = None
        while runtime_pid is None:
            state = http_json(f"{url}/_emulator/state")[2]
            runtime_pid = state.get("pid") if isinstance(state, dict) else None
            if runtime_pid is None:
                if time.monotonic() > deadline:
                    raise StackError("the Runtime API emulator never started the runtime "
                                     f"(its log: {st.log('rapi-emulator')[-400:]!r})")
                time.sleep(0.05)
        runtime_pids.append(runtime_pid)
    record_pids([p.pid for _, p, _ in st.procs] + runtime_pids)

    # Produce only into a stable group: records a task takes before the last
    # task has joined would move with the rebalance that follows
    # (deploy/connector_group.py).
    tasks = max(args.tasks, 1)
    progress.show(f"waiting for the connector's {tasks} task(s) to hold the {partitions} "
                  "partitions ...", True)
    try:
        _, settled_lines = connector_group.wait_settled(
            lambda: st.log("sink-connector"), connector, tasks, partitions,
            min(connector_group.SETTLE_TIMEOUT, max(1.0, deadline - time.monotonic())))
    except connector_group.GroupNotSettled as e:
        raise StackError(f"{e} (connector log: {st.log('sink-connector')[-400:]!r})")
    settled_at = time.monotonic() - t0

    current = phases.pop(0)
    producer = start_producer(*current)
    produced_before = 0
    alerts = 0
    last_poll = 0.0
    while connector.poll() is None:
        now = time.monotonic()
        if now > deadline:
            raise StackError(f"the pipeline did not finish within {args.timeout:.0f} s "
                             f"(connector log: {st.log('sink-connector')[-400:]!r})")
        if producer.poll() not in (None, 0):
            raise StackError(f"the producer failed (exit {producer.returncode}): "
                             f"{st.log(current[0])[-400:]}")
        scored = scored_records(st.log("sink-connector"))
        if producer.poll() == 0 and phases and scored >= current[4]:
            produced_before = current[4]
            current = phases.pop(0)
            producer = start_producer(*current)
        if now - last_poll >= 1.0:
            try:
                alerts = len(sns_published(sns_url))
            except OSError:
                pass
            last_poll = now
        sent = produced_before + int(last_match(st.log(current[0]),
                                                r"(?:sent|delivered) (\d+)") or "0")
        progress.show(f"produced {sent}/{args.records}  scored {scored}  alerts {alerts}  "
                      f"{now - t0:5.1f} s")
        time.sleep(0.05)
    progress.done()
    if connector.returncode != 0:
        raise StackError(f"the connector stand-in failed (exit {connector.returncode}): "
                         f"{st.log('sink-connector')[-600:]}")
    try:
        producer.wait(15)
    except subprocess.TimeoutExpired:
        raise StackError("the producer did not finish")
    if producer.returncode != 0:
        raise StackError(f"the producer failed (exit {producer.returncode}): "
                         f"{st.log(current[0])[-400:]}")
    published = sns_published(sns_url)
    summary = demo_report.analyse(consume_results(brokers), args.records, half, published,
                                  inputs_at=inputs_at, batch_size=args.batch_size,
                                  fleet=args.tasks > 1)
    # Assignments after the group settled: each is a rebalance's, after which
    # records not yet committed are delivered again (at least once).
    summary["reassignments"] = len(connector_group.assignment_lines(
        st.log("sink-connector"))) - settled_lines
    summary["groupSettledSeconds"] = round(settled_at, 2)
    # The function's own view, from its log and metric lines, for the page.
    logs = "".join(st.log("rapi-emulator" if i == 0 else f"rapi-emulator-{i}")
                   for i in range(max(args.tasks, 1)))
    summary["timeline"] = demo_timeline.parse(logs, published)
    summary["alertPolicy"] = {k: v for k, v in env.items() if k.startswith("ALERT_")}
    summary["connector"] = config
    summary["errorTopicRecords"] = len(consume_results(brokers, ERROR_TOPIC))
    # Invocations each execution environment answered (one without TASKS).
    summary["environments"] = list(front.served) if front else [None]
    if front:
        front.close()
    return summary, time.monotonic() - t0


def shown_path(path):
    """path relative to the working folder when it is under it."""
    rel = os.path.relpath(os.path.abspath(path))
    return os.path.abspath(path) if rel.startswith(os.pardir) else rel


def write_page(path, summary, elapsed, problems):
    """Writes the HTML report; returns None, or what went wrong."""
    try:
        demo_html.write(path, summary, summary["timeline"], elapsed, problems)
    except demo_html.ChartError as e:
        return f"the report page: {e}"
    except OSError as e:
        return f"the report page {path}: {e.strerror or e}"
    return None


def main(argv=None):
    args = parse_args(argv)
    progress = Progress()
    status = 1
    try:
        with Stack(keep_logs=args.keep_logs) as st:
            try:
                summary, elapsed = run(args, st, progress)
            except StackError as e:
                progress.done()
                print(f"demo: {e}", file=sys.stderr)
                if args.keep_logs:
                    print(f"demo: logs kept in {st.dir}", file=sys.stderr)
                return 1
            leaked = [name for name, text in st.logs().items()
                      if any(s in text for s in st.secrets())]
            print(demo_report.render(summary, elapsed))
            problems = demo_report.verdict(summary)
            if leaked:
                problems.append("a fake secret appeared in the output of " + ", ".join(leaked))
            page_error = write_page(args.html_report, summary, elapsed, problems)
            summary["problems"] = problems
            summary["elapsedSeconds"] = round(elapsed, 2)
            if args.json_report:
                with open(args.json_report, "w") as f:
                    json.dump(summary, f, indent=1)
            if args.keep_logs:
                print(f"logs: {st.dir}")
            for p in problems + ([page_error] if page_error else []):
                print(f"demo: FAILED: {p}", file=sys.stderr)
            status = 1 if problems or page_error else 0
            if not problems:
                again = (f", {summary['duplicates']} again after a rebalance"
                         if summary["duplicates"] else "")
                print(f"demo: OK (every record scored once{again}; no alert before the drift, "
                      "one for each drift, in time)")
            if not page_error:
                print(f"demo: report: {shown_path(args.html_report)}", flush=True)
    except KeyboardInterrupt:
        progress.done()
        print("demo: interrupted; every process it started has been stopped", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
