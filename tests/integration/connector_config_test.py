#!/usr/bin/python3
"""tests/integration/connector_config_test.py: the connector configurations in
deploy/connector/ name only properties the connector documents, leave the
rest at the connector's defaults, and agree with the stand-in
(build/sink-connector --print-properties: what the tests exercise).

The property lists below are written by hand from their sources:
  CLOUD: the fully managed connector, "AWS Lambda Sink Connector for
    Confluent Cloud" (docs.confluent.io/cloud/current/connectors/
    cc-aws-lambda-sink.html), with the names as Confluent's own fully managed
    examples spell them (confluentinc/kafka-docker-playground, the
    ccloud LambdaSink example; a configuration exported from the Cloud
    console).
  SELF_MANAGED: "Configuration Reference for AWS Lambda Sink Connector for
    Confluent Platform" (docs.confluent.io/kafka-connectors/aws-lambda/current/
    lambda_sink_connector_config.html) and its reporter and license
    properties as Confluent's self-managed example sets them
    (kafka-docker-playground, connect-aws-lambda-sink), plus Kafka Connect's
    own sink connector configuration (kafka.apache.org, "Sink Connector
    Configs": name, connector.class, tasks.max, topics, key.converter,
    value.converter) and the JsonConverter's schemas.enable given through the
    value.converter. prefix (Kafka Connect passes prefixed properties to the
    converter).
Defaults by the same documents: tasks.max 1 (Kafka Connect),
aws.lambda.invocation.type sync and aws.lambda.batch.size 20 (the
configuration reference), record.converter.class JsonKeyValueConverter, and,
for the fully managed connector, errors written to error-<connector id> and
proceed (behavior.on.error=log).  Closes with "N passed, N failed".
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cfn_template  # noqa: E402
from testlib import ROOT, check, finish  # noqa: E402

CONNECTOR = os.environ.get("CONNECTOR", os.path.join(ROOT, "build", "sink-connector"))
DIR = os.path.join(ROOT, "deploy", "connector")

CLOUD = {
    "name", "connector.class", "kafka.auth.mode", "kafka.api.key", "kafka.api.secret",
    "kafka.service.account.id", "topics", "input.data.format", "authentication.method",
    "aws.access.key.id", "aws.secret.access.key", "aws.lambda.configuration.mode",
    "aws.lambda.function.name", "aws.lambda.topic2function.map", "aws.lambda.region",
    "aws.lambda.invocation.type", "aws.lambda.batch.size", "record.converter.class",
    "behavior.on.error", "max.poll.interval.ms", "max.poll.records", "tasks.max",
}
SELF_MANAGED = {
    "name", "connector.class", "tasks.max", "topics", "key.converter", "value.converter",
    "value.converter.schemas.enable",
    "aws.lambda.function.name", "aws.lambda.region", "aws.access.key.id",
    "aws.secret.access.key", "aws.lambda.invocation.type", "aws.lambda.batch.size",
    "record.converter.class", "behavior.on.error", "reporter.bootstrap.servers",
    "reporter.result.topic.name", "reporter.result.topic.replication.factor",
    "reporter.error.topic.name", "reporter.error.topic.replication.factor",
    "confluent.topic.bootstrap.servers", "confluent.topic.replication.factor",
    "confluent.license",
}
DEFAULTS = {"tasks.max": "1", "aws.lambda.invocation.type": "sync",
            "aws.lambda.batch.size": "20", "record.converter.class": "JsonKeyValueConverter"}
CLOUD_DEFAULTS = dict(DEFAULTS, **{"behavior.on.error": "log"})
# What a user must fill in: never a real value in the repository.
PLACEHOLDERS = {"kafka.api.key", "kafka.api.secret", "aws.access.key.id", "aws.secret.access.key",
                "aws.lambda.function.name", "aws.lambda.region", "reporter.bootstrap.servers",
                "confluent.topic.bootstrap.servers"}


def read_properties(path):
    props = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", "!")):
                k, _, v = line.partition("=")
                props[k.strip()] = v.strip()
    return props


def stand_in():
    p = subprocess.run([CONNECTOR, "--print-properties"], capture_output=True, text=True,
                       timeout=10)
    check("sink-connector --print-properties exits 0", p.returncode == 0, 0,
          f"{p.returncode}: {p.stderr}")
    return dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)


def check_config(label, cfg, documented, defaults, sim):
    unknown = sorted(set(cfg) - documented)
    check(f"{label}: every property is one the connector documents", not unknown, "none",
          unknown)
    for k in sorted(PLACEHOLDERS & set(cfg)):
        check(f"{label}: {k} is a placeholder to fill in (<...>), not a value",
              re.fullmatch(r"<[A-Za-z_]+>", cfg[k]) is not None, "<NAME>", cfg[k])
    for k in ("aws.lambda.function.name",):
        check(f"{label}: {k} is the stack's ConnectorFunctionName output",
              cfg.get(k) == "<ConnectorFunctionName>", "<ConnectorFunctionName>", cfg.get(k))
    # Each property the stand-in models: the configuration's value, or the
    # connector's documented default when it is left out, is the stand-in's.
    for k, want in sorted(sim.items()):
        if k in ("aws.lambda.function.name", "reporter.result.topic.name",
                 "reporter.error.topic.name"):
            continue
        got = cfg.get(k, defaults.get(k))
        if got is None:
            continue
        check(f"{label}: {k} = {got} is the stand-in's default", got == want, want, got)
    left_at_default = sorted(k for k in defaults if k in cfg and cfg[k] == defaults[k]
                             and k != "tasks.max")
    check(f"{label}: no connector default repeated needlessly", not left_at_default, "none",
          left_at_default)


def main():
    if not os.access(CONNECTOR, os.X_OK):
        check(f"{os.path.relpath(CONNECTOR, ROOT)} is built", False, "an executable", "missing")
        return finish()
    sim = stand_in()
    check("the stand-in's defaults are the connector's documented ones",
          all(sim.get(k) == v for k, v in CLOUD_DEFAULTS.items()), CLOUD_DEFAULTS,
          {k: sim.get(k) for k in CLOUD_DEFAULTS})

    with open(os.path.join(DIR, "confluent-cloud.json"), encoding="utf-8") as f:
        cloud = json.load(f)
    check("Confluent Cloud: the fully managed connector class LambdaSink",
          cloud.get("connector.class") == "LambdaSink", "LambdaSink", cloud.get("connector.class"))
    check("Confluent Cloud: the values are strings (the Cloud API's config map)",
          all(isinstance(v, str) for v in cloud.values()), "all strings", cloud)
    check("Confluent Cloud: input.data.format JSON, the producer's schemaless JSON rows",
          cloud.get("input.data.format") == "JSON", "JSON", cloud.get("input.data.format"))
    check("Confluent Cloud: the Kafka API key mode with its key and secret",
          cloud.get("kafka.auth.mode") == "KAFKA_API_KEY" and "kafka.api.key" in cloud and
          "kafka.api.secret" in cloud, "KAFKA_API_KEY + key + secret", cloud)
    check_config("Confluent Cloud", cloud, CLOUD, CLOUD_DEFAULTS, sim)

    with open(os.path.join(DIR, "self-managed.json"), encoding="utf-8") as f:
        rest = json.load(f)
    check("self-managed (REST): {name, config}, as POST /connectors takes it",
          set(rest) == {"name", "config"}, ["config", "name"], sorted(rest))
    cfg = rest.get("config", {})
    props = read_properties(os.path.join(DIR, "self-managed.properties"))
    check("self-managed: the properties file says what the REST form says",
          props == dict(cfg, name=rest.get("name")), dict(cfg, name=rest.get("name")), props)
    check("self-managed: connector.class is the connector's",
          cfg.get("connector.class") == "io.confluent.connect.aws.lambda.AwsLambdaSinkConnector",
          "io.confluent.connect.aws.lambda.AwsLambdaSinkConnector", cfg.get("connector.class"))
    check("self-managed: schemaless JSON values (JsonConverter, schemas.enable=false) and string "
          "keys, what the producer writes", cfg.get("value.converter") ==
          "org.apache.kafka.connect.json.JsonConverter" and
          cfg.get("value.converter.schemas.enable") == "false" and
          cfg.get("key.converter") == "org.apache.kafka.connect.storage.StringConverter",
          "JsonConverter, false, StringConverter", cfg)
    check("self-managed: behavior.on.error=log set, as the fully managed connector behaves and "
          "the stand-in models", cfg.get("behavior.on.error") == sim.get("behavior.on.error"),
          sim.get("behavior.on.error"), cfg.get("behavior.on.error"))
    check("self-managed: results and errors go to the stand-in's topic names",
          (cfg.get("reporter.result.topic.name"), cfg.get("reporter.error.topic.name")) ==
          (sim.get("reporter.result.topic.name"), sim.get("reporter.error.topic.name")),
          (sim.get("reporter.result.topic.name"), sim.get("reporter.error.topic.name")),
          (cfg.get("reporter.result.topic.name"), cfg.get("reporter.error.topic.name")))
    check_config("self-managed", dict(cfg, name=rest.get("name")), SELF_MANAGED, DEFAULTS, sim)
    check("all three name the connector and topic as the stand-in does",
          {cloud.get("name"), rest.get("name"), props.get("name")} == {sim.get("name")} and
          {cloud.get("topics"), cfg.get("topics")} == {sim.get("topics")},
          (sim.get("name"), sim.get("topics")), (cloud.get("name"), cloud.get("topics")))

    leaks = []
    for name in os.listdir(DIR):
        with open(os.path.join(DIR, name), encoding="utf-8") as f:
            text = f.read()
        leaks += [(name, m) for m in re.findall(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", text)]
    check("no AWS access key id anywhere in deploy/connector/", not leaks, "none", leaks)

    t = cfn_template.load(os.path.join(ROOT, "template.yaml"))
    _, outs, _ = cfn_template.deployed(t)
    check("the template outputs ConnectorFunctionName and the policy the credentials need",
          "ConnectorFunctionName" in outs and "ConnectorInvokePolicyArn" in outs,
          "both outputs", sorted(outs))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
