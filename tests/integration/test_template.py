#!/usr/bin/python3
"""tests/integration/test_template.py: checks template.yaml (AWS SAM) against what the bootstrap
really does, then runs the target `sam build` runs and checks its output.

- The template is parsed with PyYAML plus constructors for CloudFormation's short
  tags (!Ref, !GetAtt, !Sub, !If, ...), turned into their long forms.
- Environment names are compared with the getenv() calls in the bootstrap's sources and
  model/*.c, both ways: a variable the bootstrap reads must be set by the
  template, by Lambda itself, or be a documented local-only override; a variable
  the template sets must be read by the bootstrap (a typo fails).
- The Architecture parameter (x86_64 default, arm64) drives the function's
  Architectures; the AlertPublishFailures alarm watches the metric the
  function emits (namespace, FunctionName dimension), Sum >= 1 in 5 minutes.
- `make build-IrisScoringFunction ARTIFACTS_DIR=<tmp>` must leave exactly the
  static `bootstrap` and `model/iris-model.json` there, for x86_64 by default
  and for arm64 with ARCH=arm64; deploy/sam_arch.py picks the architecture
  from ARCH, samconfig.toml or the template's default.

Usage: tests/test_template.py [--no-build]
Closes with "N passed, N failed".
"""
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import yaml
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cfn_template  # noqa: E402
from testlib import check, finish  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE = os.path.join(ROOT, "template.yaml")
FUNCTION = "IrisScoringFunction"
MANAGED = "IrisScoringManagedFunction"

# Set by Lambda in every execution environment (reserved names) or by the
# Runtime API contract; the template must not (and cannot) set them.
LAMBDA_PROVIDED = {
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "_HANDLER",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_EXECUTION_ENV",
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN", "_X_AMZN_TRACE_ID", "TZ",
    # Lambda Managed Instances: the execution environment's concurrency, from the
    # function's PerExecutionEnvironmentMaxConcurrency ("Building custom runtimes
    # for Lambda Managed Instances", Lambda developer guide).
    "AWS_LAMBDA_MAX_CONCURRENCY",
}
# Set by Lambda from the function's LoggingConfig (advanced logging controls).
LOGGING_CONFIG = {"AWS_LAMBDA_LOG_LEVEL": "ApplicationLogLevel", "AWS_LAMBDA_LOG_FORMAT": "LogFormat"}
# The AWS SDKs' endpoint overrides (for local stand-ins) and the CA bundle
# override: deliberately absent from the deployed function (deploy/README.md).
LOCAL_ONLY = {"AWS_ENDPOINT_URL_SNS", "AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
              "SSL_CERT_FILE", "AWS_ENDPOINT_URL_DYNAMODB"}





def load_template(path=TEMPLATE):
    return cfn_template.load(path)


# --- what the bootstrap reads -----------------------------------------------

ENV_CALL = re.compile(r"\b(\w*env\w*)\s*\(\s*(?:\"([A-Za-z_][A-Za-z0-9_]*)\"|([A-Za-z_]\w*))")
DEFINE = re.compile(r"#\s*define\s+(\w+)\s+\"([A-Za-z_][A-Za-z0-9_]*)\"")
CONST = re.compile(r"\bconst\s+char\s*\*\s*(?:const\s+)?(\w+)\s*=\s*\"([A-Za-z_][A-Za-z0-9_]*)\"")
WRITERS = {"setenv", "unsetenv", "putenv", "clearenv"}


def bootstrap_env_names(sources):
    """Names passed to getenv() (or to a helper whose name contains 'env'),
    directly as literals or through a #define / const char * constant."""
    names = {}
    for path in sources:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        consts = dict(DEFINE.findall(text))
        consts.update(CONST.findall(text))
        for fn, literal, ident in ENV_CALL.findall(text):
            if fn in WRITERS or fn.startswith("log_"):
                continue
            name = literal or consts.get(ident)
            if name and re.fullmatch(r"[A-Z_][A-Z0-9_]*", name):
                names.setdefault(name, set()).add(os.path.relpath(path, ROOT))
    return names


def c_string_literals(sources):
    lits = set()
    for path in sources:
        with open(path, encoding="utf-8") as f:
            lits.update(re.findall(r"\"((?:[^\"\\\n]|\\.)*)\"", f.read()))
    return lits


# --- checks -----------------------------------------------------------------

def refs(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "Ref":
                out.add(v)
            elif k == "Fn::GetAtt":
                out.add(v[0])
            refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)
    return out


def check_template(t, sources):
    res = t.get("Resources", {})
    params = t.get("Parameters", {})
    check("transform is AWS::Serverless-2016-10-31",
          t.get("Transform") == "AWS::Serverless-2016-10-31",
          "AWS::Serverless-2016-10-31", t.get("Transform"))
    fn = res.get(FUNCTION, {})
    props = cfn_template.effective_function(t, FUNCTION) if FUNCTION in res else {}
    check("function is an AWS::Serverless::Function", fn.get("Type") == "AWS::Serverless::Function",
          "AWS::Serverless::Function", fn.get("Type"))
    check("handler is bootstrap", props.get("Handler") == "bootstrap", "bootstrap",
          props.get("Handler"))
    rt = props.get("Runtime")
    rparam = params.get(rt.get("Ref")) if isinstance(rt, dict) else None
    check("runtime comes from a parameter", rparam is not None, "{'Ref': <parameter>}", rt)
    if rparam is not None:
        # Lambda blocks creating provided.al2 functions since 2026-07-31 and updating
        # them since 2026-08-31 (Lambda developer guide, runtime deprecation table).
        check("runtime parameter offers only provided.al2023 (al2 can no longer be deployed)",
              rparam.get("AllowedValues") == ["provided.al2023"],
              ["provided.al2023"], rparam.get("AllowedValues"))
        check("runtime parameter defaults to provided.al2023",
              rparam.get("Default") == "provided.al2023", "provided.al2023", rparam.get("Default"))
    check("build method is makefile", fn.get("Metadata", {}).get("BuildMethod") == "makefile",
          "makefile", fn.get("Metadata"))
    check("CodeUri is the project root", props.get("CodeUri") == ".", ".", props.get("CodeUri"))
    check("Architectures is [!Ref Architecture]",
          props.get("Architectures") == [{"Ref": "Architecture"}], [{"Ref": "Architecture"}],
          props.get("Architectures"))
    ap = params.get("Architecture", {})
    check("the Architecture parameter offers x86_64 and arm64, default x86_64",
          ap.get("AllowedValues") == ["x86_64", "arm64"] and ap.get("Default") == "x86_64",
          "[x86_64, arm64], default x86_64", ap)
    check("memory is 128 MB", props.get("MemorySize") == 128, 128, props.get("MemorySize"))
    timeout = props.get("Timeout")
    check("timeout is below the connector's 50 s socket timeout",
          isinstance(timeout, int) and 0 < timeout < 50, "1..49", timeout)

    env = props.get("Environment", {}).get("Variables", {}) or {}
    check("SNS_TOPIC_ARN is !Ref AlertTopic", env.get("SNS_TOPIC_ARN") == {"Ref": "AlertTopic"},
          {"Ref": "AlertTopic"}, env.get("SNS_TOPIC_ARN"))
    read = bootstrap_env_names(sources)
    check("the source scan finds the bootstrap's variables (SNS_TOPIC_ARN, AWS_LAMBDA_RUNTIME_API)",
          {"SNS_TOPIC_ARN", "AWS_LAMBDA_RUNTIME_API"} <= set(read), "both found", sorted(read))
    logging = props.get("LoggingConfig", {}) or {}
    covered = set(env) | LAMBDA_PROVIDED | LOCAL_ONLY
    covered |= {v for v, key in LOGGING_CONFIG.items() if key in logging}
    missing = {n: sorted(w) for n, w in read.items() if n not in covered}
    check("every variable the bootstrap reads is set (template, LoggingConfig or Lambda)",
          not missing, "none missing", missing)
    unread = sorted(set(env) - set(read))
    check("every variable the template sets is read by the bootstrap", not unread,
          "none unread", unread)
    reserved = sorted(set(env) & (LAMBDA_PROVIDED | set(LOGGING_CONFIG)))
    check("the template sets no Lambda-reserved variable", not reserved, "none", reserved)
    for name, value in env.items():
        ok = isinstance(value, (str, int, float)) or (isinstance(value, dict) and len(value) == 1)
        check(f"{name} has a scalar or intrinsic value", ok, "scalar/intrinsic", value)

    ll = logging.get("ApplicationLogLevel")
    llp = params.get(ll.get("Ref")) if isinstance(ll, dict) else None
    lits = c_string_literals(sources)
    check("log level comes from a parameter", llp is not None, "{'Ref': <parameter>}", ll)
    if llp is not None:
        bad = [v for v in llp.get("AllowedValues", []) if v not in lits]
        check("every allowed log level is one the bootstrap knows", not bad and llp.get("AllowedValues"),
              "all in the C sources", bad)
    mode = env.get("ALERT_MODE")
    mp = params.get(mode.get("Ref")) if isinstance(mode, dict) else None
    if mp is not None:
        bad = [v for v in mp.get("AllowedValues", []) if v not in lits]
        check("every allowed ALERT_MODE is a string the bootstrap knows", not bad,
              "all in the C sources", bad)

    policies = props.get("Policies", [])
    sns = [p["SNSPublishMessagePolicy"] for p in policies
           if isinstance(p, dict) and "SNSPublishMessagePolicy" in p]
    want = {"TopicName": {"Fn::GetAtt": ["AlertTopic", "TopicName"]}}
    check("policy: SNSPublishMessagePolicy on AlertTopic.TopicName", sns == [want], [want], policies)

    topic = res.get("AlertTopic", {})
    check("AlertTopic is an AWS::SNS::Topic", topic.get("Type") == "AWS::SNS::Topic",
          "AWS::SNS::Topic", topic.get("Type"))
    subs = [r for r in res.values() if r.get("Type") == "AWS::SNS::Subscription"
            and r["Properties"].get("TopicArn") == {"Ref": "AlertTopic"}]
    ok = (len(subs) == 1 and "AlertEmail" in params and subs[0].get("Condition") in t.get("Conditions", {})
          and subs[0]["Properties"].get("Endpoint") == {"Ref": "AlertEmail"}
          and subs[0]["Properties"].get("Protocol") == "email"
          and subs[0]["Properties"].get("TopicArn") == {"Ref": "AlertTopic"})
    check("optional e-mail subscription to AlertTopic from AlertEmail, under a condition", ok,
          "one conditional email subscription", subs)
    cond = t.get("Conditions", {}).get(subs[0].get("Condition")) if subs else None
    check("the condition tests AlertEmail against the empty string",
          cond == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlertEmail"}, ""]}]},
          "!Not [!Equals [!Ref AlertEmail, '']]", cond)

    outs = cfn_template.deployed(t)[1]
    check("an output gives the function ARN", outs.get("IrisScoringFunctionArn") ==
          f"<{FUNCTION}.Arn>", f"!GetAtt {FUNCTION}.Arn", outs)
    check("an output gives the topic ARN", outs.get("AlertTopicArn") == "<AlertTopic>",
          "!Ref AlertTopic", outs)

    pseudo = {"AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::Partition",
              "AWS::URLSuffix", "AWS::NoValue", "AWS::StackId"}
    # SAM creates <logical id>Role for each function (AWS SAM, "Generated resources").
    generated = {f"{n}Role" for n, r in res.items() if r.get("Type") == "AWS::Serverless::Function"}
    dangling = sorted(refs(t, set()) - set(params) - set(res) - pseudo - generated)
    check("every !Ref/!GetAtt names a parameter or resource", not dangling, "none", dangling)
    for name, p in params.items():
        if "Default" in p and "AllowedValues" in p:
            check(f"parameter {name}'s default is allowed", p["Default"] in p["AllowedValues"],
                  p["AllowedValues"], p["Default"])


# What the classic function is, resolved with the default parameters, written
# out by hand: the Managed Instances option must leave it exactly so.
CLASSIC_WANT = {
    "Handler": "bootstrap", "Runtime": "provided.al2023", "Architectures": ["x86_64"],
    "CodeUri": ".", "MemorySize": 128, "Timeout": 30,
    "LoggingConfig": {"LogFormat": "JSON", "ApplicationLogLevel": "INFO",
                      "SystemLogLevel": "WARN"},
    "Environment": {"Variables": {
        "SNS_TOPIC_ARN": "<AlertTopic>", "ALERT_ACCURACY_THRESHOLD": "0.9",
        "ALERT_MIN_RECORDS": "10", "ALERT_MODE": "sequential", "ALERT_FAILURE": "log",
        "ALERT_FALSE_ALARM_RATE": "0.0000000003", "ALERT_MIN_DROP": "0.3",
        "ALERT_EXPECTED_ACCURACY": "", "METRICS_NAMESPACE": "IrisLambda",
        "ALERT_STATE_TABLE": "<AlertStateTable>",
        "MODEL_PATH": "/var/task/model/iris-model.json"}},
    "Policies": [{"SNSPublishMessagePolicy": {"TopicName": "<AlertTopic.TopicName>"}}],
}
CP_ARN = "arn:aws:lambda:us-east-1:123456789012:capacity-provider:iris-fleet"


def check_shapes(t):
    """Classic (the default) and Managed Instances, as CloudFormation resolves them."""
    params = t.get("Parameters", {})
    res, outs, _ = cfn_template.deployed(t)
    fn = res.get(FUNCTION, {})
    check("default parameters: only the classic function exists", FUNCTION in res and
          MANAGED not in res, f"{FUNCTION} only", sorted(k for k in res if "Function" in k))
    got = fn.get("Properties")
    check("default parameters: the classic function is what it was (128 MB, no capacity "
          "provider, no alias; handler, runtime, environment, logging, policy)",
          got == CLASSIC_WANT, CLASSIC_WANT, got)
    alarm_dims = res.get("AlertPublishFailuresAlarm", {}).get("Properties", {}).get("Dimensions")
    check("classic: the alarm's FunctionName is the classic function",
          alarm_dims == [{"Name": "FunctionName", "Value": f"<{FUNCTION}>"}], f"<{FUNCTION}>",
          alarm_dims)
    check("classic: the connector invokes the function by name", outs.get(
        "ConnectorFunctionName") == f"<{FUNCTION}>", f"<{FUNCTION}>",
          outs.get("ConnectorFunctionName"))
    stmt = res.get("ConnectorInvokePolicy", {}).get("Properties", {}).get(
        "PolicyDocument", {}).get("Statement", [{}])
    want = [{"Effect": "Allow", "Action": "lambda:InvokeFunction",
             "Resource": [f"<{FUNCTION}.Arn>", f"<{FUNCTION}.Arn>:*"]}]
    check("classic: the connector's policy allows lambda:InvokeFunction on the function and its "
          "qualified ARNs, nothing else", stmt == want, want, stmt)
    check("an output names the connector's managed policy",
          outs.get("ConnectorInvokePolicyArn") == "<ConnectorInvokePolicy>",
          "<ConnectorInvokePolicy>", outs)

    res, outs, _ = cfn_template.deployed(t, {"CapacityProviderArn": CP_ARN,
                                             "PerExecutionEnvironmentMaxConcurrency": "8"})
    check("CapacityProviderArn set: only the Managed Instances function exists",
          MANAGED in res and FUNCTION not in res, f"{MANAGED} only",
          sorted(k for k in res if "Function" in k))
    mp = res.get(MANAGED, {}).get("Properties", {})
    check("Managed Instances: CapacityProviderConfig is the ARN and the concurrency given",
          mp.get("CapacityProviderConfig") == {"Arn": CP_ARN,
                                               "PerExecutionEnvironmentMaxConcurrency": "8"},
          {"Arn": CP_ARN, "PerExecutionEnvironmentMaxConcurrency": "8"},
          mp.get("CapacityProviderConfig"))
    check("Managed Instances: a published version behind the alias live (AutoPublishAlias)",
          mp.get("AutoPublishAlias") == "live", "live", mp.get("AutoPublishAlias"))
    check("Managed Instances: 2048 MB, the smallest supported function",
          mp.get("MemorySize") == 2048, 2048, mp.get("MemorySize"))
    same = {k: v for k, v in mp.items() if k not in ("CapacityProviderConfig",
                                                      "AutoPublishAlias", "MemorySize")}
    base = dict(CLASSIC_WANT)
    base.pop("MemorySize")
    check("Managed Instances: everything else as the classic function (Globals)", same == base,
          base, same)
    check("Managed Instances: the connector invokes NAME:live",
          outs.get("ConnectorFunctionName") == f"<{MANAGED}>:live", f"<{MANAGED}>:live",
          outs.get("ConnectorFunctionName"))
    stmt = res.get("ConnectorInvokePolicy", {}).get("Properties", {}).get(
        "PolicyDocument", {}).get("Statement", [{}])
    check("Managed Instances: the connector's policy covers the alias (NAME:*)",
          stmt and stmt[0].get("Resource") == [f"<{MANAGED}.Arn>", f"<{MANAGED}.Arn>:*"],
          [f"<{MANAGED}.Arn>", f"<{MANAGED}.Arn>:*"], stmt)
    alarm_dims = res.get("AlertPublishFailuresAlarm", {}).get("Properties", {}).get("Dimensions")
    check("Managed Instances: the alarm's FunctionName is that function",
          alarm_dims == [{"Name": "FunctionName", "Value": f"<{MANAGED}>"}], f"<{MANAGED}>",
          alarm_dims)
    res, _, _ = cfn_template.deployed(t, {"CapacityProviderArn": CP_ARN})
    cpc = res.get(MANAGED, {}).get("Properties", {}).get("CapacityProviderConfig")
    check("PerExecutionEnvironmentMaxConcurrency empty: left to Lambda's default (omitted)",
          cpc == {"Arn": CP_ARN}, {"Arn": CP_ARN}, cpc)
    meta = t["Resources"].get(MANAGED, {}).get("Metadata", {})
    check("both functions build with the makefile", meta.get("BuildMethod") == "makefile",
          "makefile", meta)

    # AllowedPattern is matched against the whole value (Java regular expressions).
    arn_pat = params.get("CapacityProviderArn", {}).get("AllowedPattern", "")
    for v, ok in (("", True), (CP_ARN, True),
                  ("arn:aws-us-gov:lambda:us-gov-west-1:123456789012:capacity-provider:a_b-1", True),
                  ("arn:aws:lambda:us-east-1:123456789012:function:iris", False),
                  ("arn:aws:lambda:us-east-1:1234:capacity-provider:x", False), (" ", False)):
        check(f"CapacityProviderArn {v!r} is {'accepted' if ok else 'refused'}",
              bool(re.fullmatch(arn_pat, v)) == ok, ok, not ok)
    conc_pat = params.get("PerExecutionEnvironmentMaxConcurrency", {}).get("AllowedPattern", "")
    for v, ok in (("", True), ("1", True), ("8", True), ("999", True), ("1599", True),
                  ("1600", True), ("0", False), ("01", False), ("1601", False), ("2000", False),
                  ("-1", False), ("eight", False)):
        check(f"PerExecutionEnvironmentMaxConcurrency {v!r} is {'accepted' if ok else 'refused'}"
              " (1-1600, the CloudFormation reference's range, or empty)",
              bool(re.fullmatch(conc_pat, v)) == ok, ok, not ok)


def check_alarm(t, sources):
    """The alarm on alerts the function could not publish."""
    res, params = t.get("Resources", {}), t.get("Parameters", {})
    alarm = res.get("AlertPublishFailuresAlarm", {})
    p = alarm.get("Properties", {})
    check("AlertPublishFailuresAlarm is an AWS::CloudWatch::Alarm",
          alarm.get("Type") == "AWS::CloudWatch::Alarm", "AWS::CloudWatch::Alarm",
          alarm.get("Type"))
    env = cfn_template.effective_function(t, FUNCTION).get("Environment", {}).get("Variables", {})
    check("the alarm's namespace is the function's METRICS_NAMESPACE (!Ref MetricsNamespace)",
          p.get("Namespace") == {"Ref": "MetricsNamespace"} == env.get("METRICS_NAMESPACE"),
          {"Ref": "MetricsNamespace"}, (p.get("Namespace"), env.get("METRICS_NAMESPACE")))
    check("the alarm watches the metric AlertPublishFailures",
          p.get("MetricName") == "AlertPublishFailures", "AlertPublishFailures",
          p.get("MetricName"))
    emf = "\n".join(c_string_literals(sources))
    check("the bootstrap's EMF line defines AlertPublishFailures with the FunctionName "
          "dimension (what the alarm watches)",
          "AlertPublishFailures" in emf and '\\"Dimensions\\":[[\\"FunctionName\\"]]' in emf,
          'the literals "AlertPublishFailures" and \\"Dimensions\\":[[\\"FunctionName\\"]]',
          "not found in the C sources")
    want_dims = [{"Name": "FunctionName", "Value": {"Fn::If": [
        "Classic", {"Ref": FUNCTION}, {"Ref": MANAGED}]}}]
    check("dimension FunctionName = the function's name, classic or Managed Instances (as the "
          "EMF line's FunctionName)", p.get("Dimensions") == want_dims, want_dims,
          p.get("Dimensions"))
    got = {k: p.get(k) for k in ("Statistic", "Period", "EvaluationPeriods", "Threshold",
                                 "ComparisonOperator", "TreatMissingData")}
    want = {"Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching"}
    check("Sum >= 1 over one 5-minute period; no data is not a failure", got == want, want, got)
    conds = t.get("Conditions", {})
    check("AlarmEmail is an optional parameter (default empty)",
          params.get("AlarmEmail", {}).get("Default") == "", "Default ''",
          params.get("AlarmEmail"))
    check("HasAlarmEmail tests AlarmEmail against the empty string",
          conds.get("HasAlarmEmail") == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]},
          "!Not [!Equals [!Ref AlarmEmail, '']]", conds.get("HasAlarmEmail"))
    want_actions = [{"Fn::If": ["HasAlarmEmail", {"Ref": "AlarmTopic"}, {"Ref": "AlertTopic"}]}]
    check("the alarm notifies the alarm e-mail's topic when AlarmEmail is set, else the alert topic",
          p.get("AlarmActions") == want_actions, want_actions, p.get("AlarmActions"))
    topic, sub = res.get("AlarmTopic", {}), res.get("AlarmEmailSubscription", {})
    sp = sub.get("Properties", {})
    ok = (topic.get("Type") == "AWS::SNS::Topic" and topic.get("Condition") == "HasAlarmEmail"
          and sub.get("Condition") == "HasAlarmEmail" and sp.get("Protocol") == "email"
          and sp.get("Endpoint") == {"Ref": "AlarmEmail"} and sp.get("TopicArn") == {"Ref": "AlarmTopic"})
    check("AlarmTopic and its e-mail subscription exist only with AlarmEmail", ok,
          "both under HasAlarmEmail", (topic, sub))


def check_samconfig(t, read):
    """samconfig.toml's local env-vars file overrides only real variables."""
    import tomllib
    with open(os.path.join(ROOT, "samconfig.toml"), "rb") as f:
        cfg = tomllib.load(f)
    local = cfg.get("default", {}).get("local_invoke", {}).get("parameters", {})
    path = local.get("env_vars")
    check("samconfig.toml gives sam local invoke an env-vars file", path is not None,
          "default.local_invoke.parameters.env_vars", local)
    if path is None:
        return
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        overrides = json.load(f)
    check(f"{path} is keyed by the function's logical id", set(overrides) == {FUNCTION},
          [FUNCTION], sorted(overrides))
    env = cfn_template.effective_function(t, FUNCTION)["Environment"]["Variables"]
    names = set(overrides.get(FUNCTION, {}))
    check(f"{path} overrides only variables the template sets and the bootstrap reads",
          names and names <= set(env) and names <= set(read), "a subset of both", sorted(names))


# ELF e_machine values (System V ABI, elf.h): EM_X86_64 and EM_AARCH64.
ELF_MACHINE = {"x86_64": 62, "arm64": 183}


def elf_header(path):
    """(e_machine of an ELF executable or None, has PT_INTERP or PT_DYNAMIC)."""
    with open(path, "rb") as f:
        head = f.read(64)
        if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2:
            return None, None
        e_type, e_machine = struct.unpack_from("<HH", head, 16)
        e_phoff = struct.unpack_from("<Q", head, 32)[0]
        e_phentsize, e_phnum = struct.unpack_from("<HH", head, 54)
        dynamic = False
        for i in range(e_phnum):
            f.seek(e_phoff + i * e_phentsize)
            p_type = struct.unpack("<I", f.read(4))[0]
            if p_type in (2, 3):  # PT_DYNAMIC, PT_INTERP
                dynamic = True
        return (e_machine if e_type in (2, 3) else None), dynamic


def check_build(arch, env_arch, samconfig=None, name=FUNCTION):
    """What `sam build` gets for arch; env_arch is ARCH in the environment
    (None: unset); samconfig, the text of the samconfig file SAM_CONFIG names."""
    out = tempfile.mkdtemp(prefix="iris-artifacts-")
    env = {k: v for k, v in os.environ.items() if k not in ("ARCH", "MAKEFLAGS", "MAKELEVEL")}
    if env_arch is not None:
        env["ARCH"] = env_arch
    how = f"ARCH={env_arch}" if env_arch else "no ARCH, samconfig.toml/template default"
    if samconfig is not None:
        env["SAM_CONFIG"] = os.path.join(out, "samconfig.toml")
        with open(env["SAM_CONFIG"], "w") as f:
            f.write(samconfig)
        how = "no ARCH, " + samconfig.strip().splitlines()[-1]
    try:
        proc = subprocess.run(["make", "--no-print-directory", "build-" + name,
                               "ARTIFACTS_DIR=" + out], cwd=ROOT, capture_output=True, text=True,
                              env=env)
        check(f"make build-{name} succeeds ({how})", proc.returncode == 0, "exit 0",
              f"exit {proc.returncode}: {(proc.stdout + proc.stderr)[-1500:]}")
        if proc.returncode != 0:
            return
        check(f"it says it builds for {arch}", f"Architecture {arch}" in proc.stderr,
              f"'Architecture {arch}'", proc.stderr[-300:])
        files = sorted(os.path.relpath(p, out) for p in glob.glob(out + "/**", recursive=True)
                       if os.path.isfile(p) and p != env.get("SAM_CONFIG"))
        check(f"{arch}: artifacts are exactly bootstrap and model/iris-model.json",
              files == ["bootstrap", "model/iris-model.json"],
              ["bootstrap", "model/iris-model.json"], files)
        boot = os.path.join(out, "bootstrap")
        if os.path.isfile(boot):
            check(f"{arch}: bootstrap is executable", os.access(boot, os.X_OK), "mode +x",
                  oct(os.stat(boot).st_mode))
            machine, dynamic = elf_header(boot)
            check(f"{arch}: bootstrap is an ELF executable for {arch} (e_machine "
                  f"{ELF_MACHINE[arch]}), not a script", machine == ELF_MACHINE[arch],
                  ELF_MACHINE[arch], machine)
            check(f"{arch}: bootstrap has no PT_INTERP/PT_DYNAMIC (static)", dynamic is False,
                  "static", "dynamic" if dynamic else dynamic)
        model = os.path.join(out, "model", "iris-model.json")
        if os.path.isfile(model):
            with open(model, "rb") as a, open(os.path.join(ROOT, "model", "iris-model.json"),
                                               "rb") as b:
                check(f"{arch}: the model artifact is the project's model/iris-model.json",
                      a.read() == b.read(), "identical", "different")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def sam_arch(tmp, samconfig_text, arch=""):
    path = os.path.join(tmp, "samconfig.toml")
    with open(path, "w") as f:
        f.write(samconfig_text)
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "deploy", "sam_arch.py"),
                           "--arch", arch, "--samconfig", path, "--template", TEMPLATE],
                          capture_output=True, text=True, timeout=30)
    return proc.returncode, proc.stdout.strip(), proc.stderr.strip()


def check_sam_arch():
    """Where the makefile build finds the architecture (SAM passes only ARTIFACTS_DIR)."""
    with tempfile.TemporaryDirectory() as tmp:
        got = sam_arch(tmp, "version = 0.1\n")
        check("no ARCH, no override: the template's default x86_64", got[:2] == (0, "x86_64"),
              (0, "x86_64"), got)
        got = sam_arch(tmp, "version = 0.1\n[default.global.parameters]\n"
                       'parameter_overrides = "AlertMode=off Architecture=arm64"\n')
        check("samconfig.toml [default.global.parameters] Architecture=arm64 -> arm64",
              got[:2] == (0, "arm64") and "default.global.parameters" in got[2], (0, "arm64"), got)
        got = sam_arch(tmp, "version = 0.1\n[default.global.parameters]\n"
                       'parameter_overrides = ["ParameterKey=Architecture,ParameterValue=arm64"]\n')
        check("the ParameterKey=...,ParameterValue=... form in a list is read too",
              got[:2] == (0, "arm64"), (0, "arm64"), got)
        got = sam_arch(tmp, "version = 0.1\n[default.global.parameters]\n"
                       'parameter_overrides = "Architecture=arm64"\n', arch="x86_64")
        check("ARCH wins over samconfig.toml", got[:2] == (0, "x86_64"), (0, "x86_64"), got)
        got = sam_arch(tmp, "version = 0.1\n[default.global.parameters]\n"
                       'parameter_overrides = "Architecture=arm64"\n'
                       "[default.deploy.parameters]\n"
                       'parameter_overrides = "Architecture=x86_64"\n')
        check("build and deploy overrides that disagree stop the build, naming both",
              got[0] == 1 and "disagree" in got[2] and "arm64" in got[2] and "x86_64" in got[2],
              "exit 1, 'disagree' with both values", got)
        # sam deploy --guided saves its answers under [default.deploy.parameters]:
        # that parameter_overrides replaces the global one for deploy.
        got = sam_arch(tmp, "version = 0.1\n[default.global.parameters]\n"
                       'parameter_overrides = "Architecture=arm64"\n'
                       "[default.deploy.parameters]\n"
                       'parameter_overrides = "AlertMode=off"\n')
        check("a deploy override without Architecture hides the global arm64 from sam deploy: "
              "refused", got[0] == 1 and "disagree" in got[2], "exit 1, 'disagree'", got)
        got = sam_arch(tmp, "version = 0.1\n", arch="aarch64")
        check("a value the template does not allow is refused with the allowed ones",
              got[0] == 1 and "x86_64, arm64" in got[2], "exit 1, 'x86_64, arm64'", got)
    got = subprocess.run([sys.executable, os.path.join(ROOT, "deploy", "sam_arch.py")],
                         cwd=ROOT, capture_output=True, text=True, timeout=30)
    check("the project's samconfig.toml builds the template default (x86_64)",
          (got.returncode, got.stdout.strip()) == (0, "x86_64"), (0, "x86_64"),
          (got.returncode, got.stdout.strip(), got.stderr.strip()))


def dynamodb_operations(path):
    """The DynamoDB operations a source sends: ddb_call's second argument."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    ops = set(re.findall(r'send\(s, "([A-Za-z]+)"', text))
    ops |= set(re.findall(r'ddb_call\([^,]+, "([A-Za-z]+)"', text))
    return ops


def check_alert_state(t):
    """The shared alert state table (lambda/fleet_ddb.h): on by default, off with
    SharedAlertState=false; on-demand, TTL on expires, key pk; least privilege."""
    res, _, _ = cfn_template.deployed(t)
    table = res.get("AlertStateTable", {})
    props = table.get("Properties", {})
    check("AlertStateTable is an AWS::DynamoDB::Table", table.get("Type") == "AWS::DynamoDB::Table",
          "AWS::DynamoDB::Table", table.get("Type"))
    check("the table bills per request (on demand)", props.get("BillingMode") == "PAY_PER_REQUEST",
          "PAY_PER_REQUEST", props.get("BillingMode"))
    check("the table's key is pk, a string",
          props.get("KeySchema") == [{"AttributeName": "pk", "KeyType": "HASH"}] and
          props.get("AttributeDefinitions") == [{"AttributeName": "pk", "AttributeType": "S"}],
          "pk (S) HASH", (props.get("KeySchema"), props.get("AttributeDefinitions")))
    ttl = props.get("TimeToLiveSpecification", {})
    check("TTL on the attribute the function writes (expires)",
          ttl == {"AttributeName": "expires", "Enabled": True}, "expires, enabled", ttl)
    with open(os.path.join(ROOT, "lambda", "fleet_ddb.c"), encoding="utf-8") as f:
        code = f.read()
    check("the function writes expires and keys items by pk",
          '"expires"' in code and '"pk"' in code, "both in lambda/fleet_ddb.c", None)
    policy = res.get("AlertStatePolicy", {}).get("Properties", {})
    stmts = policy.get("PolicyDocument", {}).get("Statement", [])
    ops = dynamodb_operations(os.path.join(ROOT, "lambda", "fleet_ddb.c"))
    want = sorted(f"dynamodb:{o}" for o in ops)
    check("IAM: exactly the item actions the function sends, on the table only",
          len(stmts) == 1 and sorted(stmts[0].get("Action", [])) == want and
          stmts[0].get("Resource") == "<AlertStateTable.Arn>" and stmts[0].get("Effect") == "Allow",
          f"{want} on <AlertStateTable.Arn>", stmts)
    check("IAM: the policy is on the function's role",
          policy.get("Roles") == [f"<{FUNCTION}Role>"], [f"<{FUNCTION}Role>"], policy.get("Roles"))
    alarm = res.get("AlertStateFallbacksAlarm", {}).get("Properties", {})
    check("an alarm on AlertStateFallbacks (Sum >= 1 in 5 minutes, FunctionName)",
          alarm.get("MetricName") == "AlertStateFallbacks" and alarm.get("Statistic") == "Sum" and
          alarm.get("Period") == 300 and alarm.get("Threshold") == 1 and
          alarm.get("ComparisonOperator") == "GreaterThanOrEqualToThreshold" and
          alarm.get("Dimensions") == [{"Name": "FunctionName", "Value": f"<{FUNCTION}>"}],
          "Sum >= 1 / 300 s on FunctionName", alarm)
    with open(os.path.join(ROOT, "lambda", "handler.c"), encoding="utf-8") as f:
        check("the function emits AlertStateFallbacks", "AlertStateFallbacks" in f.read(),
              "in lambda/handler.c", None)
    off, _, _ = cfn_template.deployed(t, {"SharedAlertState": "false"})
    env = off.get(FUNCTION, {}).get("Properties", {}).get("Environment", {}).get("Variables", {})
    check("SharedAlertState=false: no table, policy or alarm, ALERT_STATE_TABLE empty",
          not {"AlertStateTable", "AlertStatePolicy", "AlertStateFallbacksAlarm"} & set(off) and
          env.get("ALERT_STATE_TABLE") == "", "none, \"\"", (sorted(off), env.get("ALERT_STATE_TABLE")))
    managed, _, _ = cfn_template.deployed(t, {"CapacityProviderArn": CP_ARN})
    roles = managed.get("AlertStatePolicy", {}).get("Properties", {}).get("Roles")
    check("Managed Instances: the policy is on that function's role",
          roles == [f"<{MANAGED}Role>"], [f"<{MANAGED}Role>"], roles)


def main():
    # Every folder whose code build/bootstrap links (lambda/lambda.mk's BOOTSTRAP_SRCS).
    sources = sorted(p for d in ("common", "runtime", "aws", "model", "lambda", "lambda/batch")
                     for p in glob.glob(os.path.join(ROOT, d, "*.c")))
    try:
        t = load_template()
        check("template.yaml parses with CloudFormation tags", isinstance(t, dict), "a mapping", t)
        check_template(t, sources)
        check_alarm(t, sources)
        check_shapes(t)
        check_alert_state(t)
        check_samconfig(t, bootstrap_env_names(sources))
        check_sam_arch()
    except (OSError, yaml.YAMLError) as e:
        check("template.yaml parses with CloudFormation tags", False, "a mapping", e)
    if "--no-build" not in sys.argv[1:]:
        check_build("x86_64", None)
        check_build("arm64", "arm64")
        # sam build runs build-<logical id> for the Managed Instances function too.
        check_build("arm64", "arm64", name=MANAGED)
        # What sam build does with Architecture=arm64 in samconfig.toml (it
        # passes the makefile nothing else).
        check_build("arm64", None, "version = 0.1\n[default.global.parameters]\n"
                    'parameter_overrides = "Architecture=arm64"\n')
    return finish()


if __name__ == "__main__":
    sys.exit(main())
