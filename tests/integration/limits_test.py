#!/usr/bin/env python3
"""make test-limits: the function's time and memory on hostile 6 MB events.

Each event below is as large as Lambda lets a synchronous invocation be
(6,291,456 bytes, or the most of a shape that fits) and is sent to the real
release bootstrap under the Runtime API emulator, one fresh process per run.
For every shape the suite asserts that
  * the invocation is answered: a response that is valid UTF-8 JSON with one
    element per record, or an error whose type and message are the ones
    expected (InvalidEvent naming the limit);
  * the bootstrap's CPU time (user + system, from wait4) is at most 3x that of
    an ordinary valid 6 MB batch measured in the same run (the minimum of a
    few runs each, so a loaded machine does not make it flaky);
  * its peak RSS (the process's VmHWM) is under 64 MB: half the 128 MB the
    template gives the function.
And one process serving thousands of small invocations, each with its own
X-Ray trace id as Lambda sends them, keeps its RSS: nothing is kept per
invocation (glibc's setenv kept each distinct _X_AMZN_TRACE_ID value, about
100 bytes an invocation).
It prints a table of the figures.  Usage: limits_test.py BOOTSTRAP
"""
import base64
import json
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from rapi_harness import ROOT, Function  # noqa: E402

EVENT_MAX = 6291456      # Lambda's synchronous request payload limit, bytes
RSS_LIMIT_KB = 64 * 1024
TIME_FACTOR = 3.0
RUNS = 3                 # runs of the ordinary batch; a shape gets up to RUNS
MAX_RECORDS = 60000      # lambda/batch/batch_internal.h BATCH_MAX_RECORDS

VALUE = {"sepalLength": 5.1, "sepalWidth": 3.5, "petalLength": 1.4, "petalWidth": 0.2,
         "species": "setosa"}
VALUE_JSON = json.dumps(VALUE, separators=(",", ":"))


def fill(head, item, tail, sep=b",", limit=EVENT_MAX, most=None):
    """head + item(0) + sep + item(1) ... + tail, as many items as fit."""
    parts, size, i = [head], len(head) + len(tail), 0
    while most is None or i < most:
        it = item(i)
        extra = len(it) + (len(sep) if i else 0)
        if size + extra > limit:
            break
        if i:
            parts.append(sep)
        parts.append(it)
        size += extra
        i += 1
    parts.append(tail)
    return b"".join(parts), i


def connector(i, value=VALUE_JSON, topic="iris", extra=""):
    return ('{"payload":{"timestamp":%d,"topic":%s,"partition":%d,"offset":%d,"key":null%s,'
            '"value":%s}}' % (1604302260000 + i * 10, json.dumps(topic), i % 3, 1000 + i, extra,
                              value)).encode()


def ordinary(limit=EVENT_MAX):
    rows = [l.strip().split(",") for l in open(os.path.join(ROOT, "model", "iris.csv"))][1:]
    rng = random.Random(7)

    def item(i):
        r = rows[rng.randrange(len(rows))]
        v = {"sepalLength": float(r[0]), "sepalWidth": float(r[1]), "petalLength": float(r[2]),
             "petalWidth": float(r[3]), "species": r[4]}
        return connector(i, json.dumps(v, separators=(",", ":")))
    return fill(b"[", item, b"]", limit=limit)


def nested(depth):
    return b"[" * depth + b"]" * depth


def shapes():
    """(name, event bytes, records or None, expected error (type, text) or None)."""
    out = []

    def add(name, made, error=None):
        ev, n = made
        out.append((name, ev, None if error else n, error))

    limit_err = ("InvalidEvent", "more than %d records" % MAX_RECORDS)
    add("distinct topics", fill(b"[", lambda i: connector(i, topic="topic-%08d" % i), b"]"))
    add("distinct topics, 60,000 records",
        fill(b"[", lambda i: b'{"payload":{"topic":"t-%032d","value":1}}' % i, b"]",
             most=MAX_RECORDS))
    add("[1,1,1,...]", fill(b"[", lambda i: b"1", b"]"), limit_err)
    add("[1,...] 60,000 records", fill(b"[", lambda i: b"1", b"]", most=MAX_RECORDS))
    add("[{},{},...]", fill(b"[", lambda i: b"{}", b"]"), limit_err)
    add("[{},...] 60,000 records", fill(b"[", lambda i: b"{}", b"]", most=MAX_RECORDS))
    add("a minute window per record", fill(b"[", lambda i: connector(i).replace(
        b'"timestamp":%d' % (1604302260000 + i * 10), b'"timestamp":%d' % (60000 * i * 7919)),
        b"]", most=MAX_RECORDS))
    add("bare iris objects, 6 MB", fill(b"[", lambda i: VALUE_JSON.encode(), b"]"), limit_err)
    add("bare iris objects, 60,000", fill(b"[", lambda i: VALUE_JSON.encode(), b"]",
                                          most=MAX_RECORDS))
    add("bad species, distinct topics",
        fill(b"[", lambda i: connector(i, VALUE_JSON.replace("setosa", "rose-%d" % i),
                                       topic="t%d" % i), b"]", most=MAX_RECORDS))
    d = EVENT_MAX // 2
    out.append(("deep nesting", nested(d), None, ("InvalidEvent", "deeper than 512 levels")))
    add("records nested 500 deep",
        fill(b"[", lambda i: connector(i, extra=',"x":' + "[" * 500 + "]" * 500), b"]"))
    # Nested past the 512-level limit inside a record: each costs only its
    # record (an error element echoing its metadata), the event is answered.
    deep = 100000
    add("members nested 100,000 deep",
        fill(b"[", lambda i: connector(i, extra=',"x":' + "[" * deep + "]" * deep), b"]"))
    add("value objects nested 100,000 deep",
        fill(b"[", lambda i: connector(i, VALUE_JSON[:-1] + ',"x":' + '{"a":' * deep + "1" +
                                       "}" * deep + "}"), b"]"))
    add("keys nested 100,000 deep",
        fill(b"[", lambda i: connector(i).replace(b'"key":null',
                                                  b'"key":' + b"[" * deep + b"]" * deep), b"]"))
    half = (EVENT_MAX - 400) // 2
    add("one record 3 million deep",
        fill(b"[", lambda i: connector(i, extra=',"x":' + "[" * half + "]" * half), b"]", most=1))
    add("deep records among ordinary ones",
        fill(b"[", lambda i: connector(i, extra=',"x":' + "[" * deep + "]" * deep)
             if i % 50 == 7 else connector(i), b"]"))
    pad = "x" * (EVENT_MAX - 400)
    add("one huge escaped-JSON value",
        fill(b"[", lambda i: connector(i, json.dumps(VALUE_JSON[:-1] + ',"pad":"%s"}' % pad)),
             b"]", most=1))
    add("one huge key", fill(b"[", lambda i: connector(i, extra=',"%s":1' % pad), b"]", most=1))
    add("one huge topic", fill(b"[", lambda i: connector(i, topic=pad), b"]", most=1))
    bad = "@FF@" * (EVENT_MAX - 400)
    add("one huge invalid UTF-8 topic",
        fill(b"[", lambda i: connector(i, topic=bad).replace(b"@FF@", b"\xff"), b"]", most=1))
    add("one huge invalid UTF-8 Kafka key",
        fill(b"[", lambda i: connector(i).replace(b'"key":null', b'"key":"%s"' % bad.encode())
             .replace(b"@FF@", b"\xff"), b"]", most=1))
    add("one huge key of control escapes",
        fill(b"[", lambda i: connector(i).replace(
            b'"key":null', b'"key":"%s"' % (b"\\u0001" * ((EVENT_MAX - 400) // 6))), b"]",
            most=1))
    add("one huge Kafka key (echoed)",
        fill(b"[", lambda i: connector(i).replace(b'"key":null', b'"key":"%s"' % pad.encode()),
             b"]", most=1))
    add("huge base64 value",
        fill(b"[", lambda i: connector(i, json.dumps(base64.b64encode(
            (VALUE_JSON[:-1] + ',"pad":"%s"}' % pad[: EVENT_MAX * 3 // 4 - 300]).encode())
            .decode())), b"]", most=1))
    long_num = "0." + "0" * 2000 + "51"
    add("long numbers", fill(b"[", lambda i: connector(
        i, VALUE_JSON.replace("5.1", long_num)), b"]"))
    add("one 6 MB number",
        fill(b"[", lambda i: connector(i, VALUE_JSON.replace("5.1", "5." + "1" * (EVENT_MAX - 300))),
             b"]", most=1))
    keys = ",".join('"k%d":%d' % (k, k) for k in range(9000))
    add("9,000 keys per record", fill(b"[", lambda i: connector(
        i, VALUE_JSON[:-1] + ',"bad":"x",' + keys + "}"), b"]"))
    add("one object of 6 MB of keys",
        (fill(b'{"sepalLength":5.1,', lambda i: b'"k%07d":1' % i, b"}")[0], 1))
    add("duplicate keys",
        (fill(b'[{"payload":{"value":{', lambda i: b'"sepalLength":1', b"}}}]")[0], 1))
    esc = "\\u0041\\n\\\"" * 20
    add("escapes everywhere", fill(b"[", lambda i: connector(
        i, json.dumps(VALUE_JSON), topic="iris", extra=',"h":"%s"' % esc).replace(
        b'"iris"', b'"ir\\u0069s"'), b"]"))
    add("invalid UTF-8 topics and species",
        fill(b"[", lambda i: connector(i, VALUE_JSON.replace("setosa", "se@FF@tosa"),
                                       topic="t@FF@@FE@%d" % i).replace(b"@FF@", b"\xff")
             .replace(b"@FE@", b"\xfe"), b"]"))
    add("lone surrogates", fill(b"[", lambda i: connector(
        i, extra=',"k":"\\ud800"'), b"]"))
    add("offsets beyond 2^53", fill(b"[", lambda i: connector(i).replace(
        b'"offset":', b'"offset":90071992547409930'), b"]"))
    ev, n = ordinary(EVENT_MAX - 1)
    out.append(("text after the array", ev + b"x", None,
                ("InvalidEvent", "text after the top-level value")))
    return out


def run_once(bootstrap, event, lambda_limits=False):
    """Runs one fresh bootstrap on event: (cpu seconds, peak RSS KB, error type, body).
    The emulator accepts any response size unless lambda_limits (then Lambda's
    6,291,556 bytes, past which the invocation fails with 413 as in Lambda).
    The CPU time is wait4's; the peak RSS is the process's VmHWM, read before it
    is killed: wait4's ru_maxrss would also count this (large) Python process,
    whose high-water mark Linux carries into a child through fork and exec."""
    args = ["--timeout", "120"] + ([] if lambda_limits else ["--max-response-bytes", "400000000"])
    fn = Function(None, emulator_args=args, start_runtime=False)
    try:
        env = dict(os.environ, AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % fn.port,
                   MODEL_PATH=os.path.join(ROOT, "model", "iris-model.json"), ALERT_MODE="off",
                   AWS_LAMBDA_LOG_LEVEL="INFO")
        p = subprocess.Popen([bootstrap], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        status, hdrs, body = fn.request("POST", "/2015-03-31/functions/function/invocations",
                                        event, timeout=300)
        with open("/proc/%d/status" % p.pid) as f:
            hwm = int([l for l in f if l.startswith("VmHWM:")][0].split()[1])
        p.send_signal(signal.SIGKILL)
        _, _, ru = os.wait4(p.pid, 0)
        if status != 200:
            raise AssertionError("Invoke API answered %d: %r" % (status, body[:300]))
        return ru.ru_utime + ru.ru_stime, hwm, hdrs.get("X-Amz-Function-Error"), body
    finally:
        fn.close()


def check_answer(name, records, error, ferr, body):
    """The problems with one answer, as a list of strings."""
    try:
        doc = json.loads(body.decode("utf-8"))  # strict: invalid UTF-8 raises
    except (UnicodeDecodeError, ValueError) as e:
        return ["the answer is not valid UTF-8 JSON (%s): %r" % (e, body[:200])]
    if error is None:
        if ferr:
            return ["expected a response, got %s: %s" % (ferr, str(doc)[:300])]
        if not isinstance(doc, list) or len(doc) != records:
            return ["expected %d elements, got %s" % (records, len(doc) if isinstance(doc, list)
                                                       else type(doc).__name__)]
        return []
    etype, text = error
    got = doc.get("errorType") if isinstance(doc, dict) else None
    msg = doc.get("errorMessage", "") if isinstance(doc, dict) else ""
    if ferr is None or got != etype or text not in msg:
        return ["expected %s containing %r, got %s %r" % (etype, text, got, str(doc)[:300])]
    return []


def key_not_utf8_among_records(bootstrap):
    """A 2 MB key of bytes that are not UTF-8 beside 3.5 MB of ordinary records,
    under Lambda's real response limit: echoed as U+FFFD the key alone would
    take 6 MB and the whole batch would fail with 413; it is counted instead
    (keyNotUtf8Bytes) and every record is answered.  The problems, as a list."""
    key = 2 * 1000 * 1000
    first = connector(0).replace(b'"key":null', b'"key":"' + b"\xff" * key + b'"')
    ev, n = ordinary(3500 * 1000)  # about 17,000 records: a 5 MB response
    ev = b"[" + first + b"," + ev[1:]
    n += 1
    assert len(ev) <= EVENT_MAX
    _, _, ferr, body = run_once(bootstrap, ev, lambda_limits=True)
    problems = check_answer("key not UTF-8", n, None, ferr, body)
    if not problems:
        p0 = json.loads(body)[0]["payload"]
        if "key" in p0 or p0.get("keyNotUtf8Bytes") != key or "predictedSpecies" not in p0:
            problems.append("expected the record scored with keyNotUtf8Bytes %d and no key, got "
                            "%s" % (key, {k: v for k, v in p0.items() if k != "key"}))
    print("a 2 MB key not UTF-8 among %d records (%d bytes), Lambda's response limit: %s"
          % (n - 1, len(ev), "answered, %d bytes" % len(body) if not problems else problems))
    return problems


LONG_LIFE_WARM, LONG_LIFE_RUNS, LONG_LIFE_GROWTH_KB = 300, 5000, 64


def long_life(bootstrap):
    """One process, LONG_LIFE_RUNS small invocations with distinct trace ids:
    its VmRSS growth (KB) after the first LONG_LIFE_WARM."""
    with open(os.path.join(ROOT, "events", "record-bare.json"), "rb") as f:
        ev = f.read()

    def rss(pid):
        with open("/proc/%d/status" % pid) as f:
            return int([l for l in f if l.startswith("VmRSS:")][0].split()[1])

    env = {"ALERT_MODE": "off", "AWS_LAMBDA_LOG_LEVEL": "ERROR",
           "MODEL_PATH": os.path.join(ROOT, "model", "iris-model.json")}
    with Function(bootstrap, env=env) as fn:
        before = None
        for i in range(LONG_LIFE_RUNS):
            if i == LONG_LIFE_WARM:
                before = rss(fn.state()["pid"])
            ferr, _ = fn.invoke(ev, headers={
                "X-Amzn-Trace-Id": "Root=1-%08x-%024x;Sampled=0" % (i, i * 7919)})
            if ferr is not None:
                raise SystemExit("invocation %d of the long life failed: %s" % (i, ferr))
        return rss(fn.state()["pid"]) - before


def main():
    bootstrap = sys.argv[1]
    base_ev, base_n = ordinary()
    base = []
    for _ in range(RUNS):
        cpu, rss, ferr, body = run_once(bootstrap, base_ev)
        problems = check_answer("ordinary", base_n, None, ferr, body)
        if problems:
            raise SystemExit("the ordinary batch failed: %s" % problems)
        base.append((cpu, rss))
    base_cpu = min(c for c, _ in base)
    bound = TIME_FACTOR * base_cpu
    print("ordinary batch: %d records, %d bytes: CPU %.3f s (min of %d), peak RSS %.1f MB; "
          "bound %.3f s, %.0f MB" % (base_n, len(base_ev), base_cpu, RUNS,
                                     max(r for _, r in base) / 1024, bound, RSS_LIMIT_KB / 1024))
    print("%-34s %9s %8s %9s %8s  %s" % ("shape", "bytes", "records", "CPU s", "RSS MB", "answer"))
    passed = failed = 0
    worst_cpu = worst_rss = 0
    for name, ev, records, error in shapes():
        assert len(ev) <= EVENT_MAX, (name, len(ev))
        problems, cpu, rss = [], None, 0
        for _ in range(RUNS):
            c, r, ferr, body = run_once(bootstrap, ev)
            problems = check_answer(name, records, error, ferr, body)
            cpu = c if cpu is None else min(cpu, c)
            rss = max(rss, r)
            if problems or cpu <= bound:
                break  # a wrong answer is wrong on any run; a slow one may be the machine
        if cpu > bound:
            problems.append("CPU %.3f s is over %.1fx the ordinary batch's %.3f s"
                            % (cpu, TIME_FACTOR, base_cpu))
        if rss >= RSS_LIMIT_KB:
            problems.append("peak RSS %.1f MB is not under %.0f MB" % (rss / 1024,
                                                                      RSS_LIMIT_KB / 1024))
        worst_cpu, worst_rss = max(worst_cpu, cpu), max(worst_rss, rss)
        answer = "%d elements" % records if error is None else error[0]
        print("%-34s %9d %8s %9.3f %8.1f  %s" % (name, len(ev), records if records else "-", cpu,
                                                rss / 1024, answer))
        for p in problems:
            print("FAIL %s: %s" % (name, p))
        passed, failed = passed + (not problems), failed + bool(problems)
    print("worst: CPU %.3f s (%.2fx the ordinary batch), peak RSS %.1f MB"
          % (worst_cpu, worst_cpu / base_cpu, worst_rss / 1024))
    if key_not_utf8_among_records(bootstrap):
        failed += 1
    else:
        passed += 1
    growth = long_life(bootstrap)
    print("one process, %d invocations with their own trace ids: RSS grew %d KB after the "
          "first %d (bound %d KB)" % (LONG_LIFE_RUNS, growth, LONG_LIFE_WARM, LONG_LIFE_GROWTH_KB))
    if growth < LONG_LIFE_GROWTH_KB:
        passed += 1
    else:
        failed += 1
        print("FAIL long life: RSS grew %d KB over %d invocations: something is kept per "
              "invocation" % (growth, LONG_LIFE_RUNS - LONG_LIFE_WARM))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
