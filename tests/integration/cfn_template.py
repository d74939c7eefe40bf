"""tests/integration/cfn_template.py: template.yaml as CloudFormation and AWS SAM
would see it, for the tests (cfn-lint is not available here).

- load(): the YAML with constructors for CloudFormation's short tags (!Ref,
  !GetAtt, !Sub, !If, ...), turned into their long forms.
- effective_function(): a function's properties with the template's
  Globals.Function merged in, as SAM does ("Globals" section of the AWS SAM
  specification: a resource's own value wins; maps such as
  Environment.Variables are merged key by key).
- deployed(): the template for given parameter values, the way CloudFormation
  evaluates it: conditions computed (Fn::Equals, Fn::Not, Fn::And, Fn::Or,
  Condition), resources and outputs whose Condition is false dropped, Fn::If
  chosen, AWS::NoValue removed, and Ref, Fn::GetAtt, Fn::FindInMap, Fn::Sub
  and Fn::Join resolved (parameters to their values; pseudo parameters to the fixed
  values in PSEUDO; a resource to "<Name>" or "<Name.Attr>").
"""
import re

import yaml


class CfnLoader(yaml.SafeLoader):
    pass


def _cfn_tag(tag, fn):
    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if fn == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {fn: value}

    CfnLoader.add_constructor(tag, construct)


for _tag in ("Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join", "Select",
             "Split", "Sub", "Transform", "If", "Not", "Equals", "And", "Or"):
    _cfn_tag("!" + _tag, "Fn::" + _tag)
_cfn_tag("!Ref", "Ref")
_cfn_tag("!Condition", "Condition")

PSEUDO = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
          "AWS::StackName": "iris-lambda", "AWS::Partition": "aws",
          "AWS::URLSuffix": "amazonaws.com", "AWS::StackId": "stack-id"}
NO_VALUE = object()


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=CfnLoader)


def _merge(glob, own):
    if isinstance(glob, dict) and isinstance(own, dict) and not any(
            k.startswith("Fn::") or k == "Ref" for k in own):
        out = dict(glob)
        for k, v in own.items():
            out[k] = _merge(glob.get(k), v) if k in glob else v
        return out
    return own


def effective_function(t, name):
    """Resource name's Properties with Globals.Function merged in."""
    glob = (t.get("Globals") or {}).get("Function") or {}
    own = t["Resources"][name].get("Properties") or {}
    return _merge(glob, own)


def parameter_values(t, overrides=None):
    values = {k: str(p.get("Default", "")) for k, p in (t.get("Parameters") or {}).items()}
    values.update(overrides or {})
    return values


class _Resolver:
    def __init__(self, t, values):
        self.t = t
        self.values = values
        self.conditions = {}
        for name in t.get("Conditions") or {}:
            self.condition(name)

    def condition(self, name):
        if name not in self.conditions:
            self.conditions[name] = bool(self.value(self.t["Conditions"][name]))
        return self.conditions[name]

    def sub(self, text, local):
        def repl(m):
            var = m.group(1)
            if var.startswith("!"):
                return "${" + var[1:] + "}"
            if var in local:
                return str(local[var])
            return str(self.value({"Ref": var} if "." not in var
                                  else {"Fn::GetAtt": var.split(".", 1)}))
        return re.sub(r"\$\{([^}]+)\}", repl, text)

    def value(self, node):
        if isinstance(node, list):
            out = [self.value(v) for v in node]
            return [v for v in out if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (k, v), = node.items()
            if k == "Ref":
                if v == "AWS::NoValue":
                    return NO_VALUE
                if v in PSEUDO:
                    return PSEUDO[v]
                if v in self.values:
                    return self.values[v]
                return f"<{v}>"
            if k == "Fn::GetAtt":
                return f"<{v[0]}.{v[1]}>"
            if k == "Fn::If":
                return self.value(v[1] if self.condition(v[0]) else v[2])
            if k == "Fn::Equals":
                a, b = (self.value(x) for x in v)
                return str(a) == str(b)
            if k == "Fn::Not":
                return not self.value(v[0])
            if k == "Fn::And":
                return all(self.value(x) for x in v)
            if k == "Fn::Or":
                return any(self.value(x) for x in v)
            if k == "Condition":
                return self.condition(v)
            if k == "Fn::FindInMap":
                m, top, second = (self.value(x) for x in v[:3])
                return self.t["Mappings"][m][top][second]
            if k == "Fn::Join":
                return v[0].join(str(x) for x in self.value(v[1]))
            if k == "Fn::Sub":
                if isinstance(v, str):
                    return self.sub(v, {})
                local = {name: self.value(x) for name, x in v[1].items()}
                return self.sub(v[0], local)
        out = {k: self.value(v) for k, v in node.items()}
        return {k: v for k, v in out.items() if v is not NO_VALUE}


def deployed(t, overrides=None):
    """(resources, outputs, conditions) for the parameter values: defaults
    with overrides.  SAM functions get their Globals first."""
    r = _Resolver(t, parameter_values(t, overrides))
    resources = {}
    for name, res in (t.get("Resources") or {}).items():
        if "Condition" in res and not r.condition(res["Condition"]):
            continue
        res = dict(res)
        if res.get("Type") == "AWS::Serverless::Function":
            res["Properties"] = effective_function(t, name)
        resources[name] = r.value(res)
    outputs = {}
    for name, out in (t.get("Outputs") or {}).items():
        if "Condition" in out and not r.condition(out["Condition"]):
            continue
        outputs[name] = r.value(out.get("Value"))
    return resources, outputs, r.conditions
