#!/usr/bin/python3
"""deploy/sam_arch.py: the Lambda architecture `make build-IrisScoringFunction` builds for.

`sam build` runs the makefile target with ARTIFACTS_DIR and the caller's
environment, and nothing about the function's `Architectures`
(aws-lambda-builders, workflows/custom_make/actions.py; aws/aws-sam-cli#3349).
So the target reads the architecture from the same places SAM reads the
template's `Architecture` parameter, in this order:

  1. --arch VALUE (the Makefile passes ARCH when it is set in the environment
     or on the make command line: `ARCH=arm64 sam build`);
  2. samconfig.toml (SAM copies it into the build's scratch directory): the
     `Architecture=` entry of the parameter_overrides `sam deploy` uses
     ([default.deploy.parameters], else [default.global.parameters]); when
     `sam build` would use another one ([default.build.parameters], else
     global) the build stops, since SAM would build and deploy different
     architectures;
  3. the template's default for the `Architecture` parameter.

Prints the architecture (x86_64 or arm64) on stdout and where it came from on
stderr.  Exit 1 with a message on a value the template does not allow.
"""
import argparse
import os
import shlex
import sys
import tomllib

import yaml


class ArchError(Exception):
    pass


def _any_tag(loader, suffix, node):
    """CloudFormation's short tags (!Ref, !Sub ...): their value is not needed here."""
    return None


class _TemplateLoader(yaml.SafeLoader):
    pass


_TemplateLoader.add_multi_constructor("!", _any_tag)


def template_parameter(template):
    """(allowed values, default) of the template's Architecture parameter."""
    with open(template) as f:
        doc = yaml.load(f, Loader=_TemplateLoader)
    p = (doc.get("Parameters") or {}).get("Architecture")
    if not isinstance(p, dict):
        raise ArchError(f"{template}: no Architecture parameter")
    return list(p.get("AllowedValues") or []), p.get("Default")


def overrides(value):
    """parameter_overrides as SAM CLI accepts it (a string of Key=Value and
    ParameterKey=K,ParameterValue=V items, or a list of them) -> dict."""
    items = value if isinstance(value, list) else shlex.split(str(value))
    out = {}
    for item in items:
        item = str(item)
        if item.startswith("ParameterKey="):
            fields = dict(f.split("=", 1) for f in item.split(",") if "=" in f)
            if "ParameterKey" in fields and "ParameterValue" in fields:
                out[fields["ParameterKey"]] = fields["ParameterValue"]
        elif "=" in item:
            k, v = item.split("=", 1)
            out[k] = v
    return out


def command_overrides(cfg, env, command):
    """The parameter_overrides SAM CLI uses for a command: the command's own
    section's value, else [env.global.parameters]' (a key in the command's
    section replaces the global one whole).  (dict, section name or None)."""
    for section in (command, "global"):
        params = cfg.get(env, {}).get(section, {}).get("parameters", {})
        if "parameter_overrides" in params:
            return overrides(params["parameter_overrides"]), f"[{env}.{section}.parameters]"
    return {}, None


def from_samconfig(path, default, env="default"):
    """(architecture, source) that `sam deploy` will use according to samconfig.toml,
    or (None, None) when it sets none.  ArchError when `sam build` would see a
    different one."""
    try:
        with open(path, "rb") as f:
            cfg = tomllib.load(f)
    except FileNotFoundError:
        return None, None
    except tomllib.TOMLDecodeError as e:
        raise ArchError(f"{path}: not valid TOML: {e}") from e
    name = os.path.basename(path)
    seen = {}
    for command in ("deploy", "build"):
        ov, section = command_overrides(cfg, env, command)
        arch = ov.get("Architecture")
        seen[command] = (arch or default, f"{name} {section}" if arch else "the template default")
    if seen["deploy"][0] != seen["build"][0]:
        raise ArchError(f"{path}: sam deploy would use Architecture {seen['deploy'][0]} "
                        f"({seen['deploy'][1]}) but sam build {seen['build'][0]} "
                        f"({seen['build'][1]}): they disagree; set Architecture in one place, "
                        f"[{env}.global.parameters] parameter_overrides, and in no "
                        f"command's own parameter_overrides without it")
    arch, source = seen["deploy"]
    return (arch, source) if source != "the template default" else (None, None)


def resolve(arch, samconfig, template):
    allowed, default = template_parameter(template)
    if arch:
        source = "ARCH"
    else:
        arch, source = from_samconfig(samconfig, default)
    if not arch:
        arch, source = default, f"the default of {os.path.basename(template)}'s Architecture"
    if arch not in allowed:
        raise ArchError(f"Architecture {arch!r} (from {source}) is not one the template "
                        f"allows: {', '.join(allowed)}")
    return arch, source


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", default="", help="explicit architecture (ARCH); empty: look it up")
    ap.add_argument("--samconfig", default="samconfig.toml")
    ap.add_argument("--template", default="template.yaml")
    args = ap.parse_args(argv)
    try:
        arch, source = resolve(args.arch, args.samconfig, args.template)
    except (ArchError, OSError, yaml.YAMLError) as e:
        print(f"sam_arch: {e}", file=sys.stderr)
        return 1
    print(arch)
    print(f"sam_arch: Architecture {arch} (from {source})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
