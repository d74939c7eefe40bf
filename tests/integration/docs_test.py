#!/usr/bin/env python3
"""make test-docs: the docs state each fact once, and that copy is right.

- README.md stays a guide: at most 200 lines.
- Every make target a doc names (`make X`, or a `test-`, `bench-`, `fuzz-` or
  `memory-` name in backticks) is a target of the Makefile, and every suite
  docs/testing.md names is one `make list-suites` prints (a suite it does not
  describe yet is printed as a note).
- Every environment variable of README.md's configuration table is read by
  the function's code (a variable the code reads that the table lacks is
  printed as a note).
- Every relative link of a doc points at a file of the repository.
- docs/function.md's largest-batch table is what scripts/batch_limits.py
  measures with the real bootstrap (null keys and the producer's UUID keys).
Usage: docs_test.py [--no-batch-size]
"""
import glob
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testlib import PY, ROOT, check, finish  # noqa: E402

DOCS = sorted(set(["README.md", "lambda/ALERTS.md"] + glob.glob("docs/*.md", root_dir=ROOT)
                  + glob.glob("*/README.md", root_dir=ROOT)))
TARGET_PREFIXES = ("test-", "bench-", "fuzz-", "memory-")


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def make_targets():
    """Every explicit target of the Makefile's database (the fragments included)."""
    out = subprocess.run(["make", "-C", ROOT, "-pRrq", "IRIS_DEPS_OK=1", "-f", "Makefile", ":"],
                         capture_output=True, text=True).stdout
    targets = set()
    not_target = False
    for line in out.splitlines():
        if line.startswith("# Not a target"):
            not_target = True
            continue
        m = re.match(r"^([A-Za-z0-9_./-]+):(?!=)", line)
        if m:
            if not not_target:
                targets.add(m.group(1))
            not_target = False
    return targets


def named_targets(text):
    """Targets a doc names: after `make` in a code span or block, and
    test-/bench-/fuzz-/memory- names in backticks.  Placeholders (<suite>,
    <name>) are skipped."""
    names = set()
    blocks = [line.split("#", 1)[0] for line in re.findall(r"^    (make .*)$", text, re.M)]
    for span in re.findall(r"`([^`\n]+)`", text) + blocks:
        for m in re.finditer(r"(?:^|[;&|(]\s*)make((?:\s+[A-Za-z0-9_.=/<>\[\]-]+)+)", span):
            for word in m.group(1).split():
                if word.startswith("-") or "=" in word or "<" in word or "[" in word:
                    continue
                names.add(word)
        for word in re.findall(r"(?<![\w/.-])((?:test|bench|fuzz|memory)-[a-z0-9-]+)(?![\w/.<-])", span):
            names.add(word)
    return names


def test_readme_length():
    n = len(read("README.md").splitlines())
    check("README.md is at most 200 lines", n <= 200, "<= 200", n)


def test_targets(targets):
    for doc in DOCS:
        for t in sorted(named_targets(read(doc))):
            if "/" in t or t.endswith((".json", ".md", ".py", ".c")):
                continue
            check(f"{doc}: `make {t}` is a make target", t in targets, "a target", t)


def test_suites_documented():
    suites = subprocess.run(["make", "-s", "-C", ROOT, "IRIS_DEPS_OK=1", "list-suites"],
                            capture_output=True, text=True).stdout.split()
    documented = set(re.findall(r"`(test-[a-z0-9-]+)`", read("docs/testing.md")))
    missing = sorted(set(suites) - documented)
    extra = sorted(documented - set(suites))
    # A suite added without its line is reported, not failed: the docs lag
    # the code by a commit at most, and a stale line is the error that misleads.
    if missing:
        print(f"note - docs/testing.md does not describe yet: {' '.join(missing)}", flush=True)
    check("docs/testing.md names no suite make test does not run", not extra, [], extra)


def test_env_vars():
    text = read("README.md")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for row in section.splitlines():
        if row.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1]))
    check("README.md's configuration table names variables", len(names) > 10, "> 10", len(names))
    sources = subprocess.run(["git", "-C", ROOT, "ls-files", "*.c"], capture_output=True,
                             text=True).stdout.split()
    code = "".join(read(f) for f in sources if not f.startswith("tests/"))
    for name in sorted(names):
        check(f"README.md: {name} is read by the function's code", f'"{name}"' in code,
              f'"{name}" in a .c file', "not found")
    # ...and every variable the function reads is in the table (the trace id
    # is the runtime's own output, not configuration).
    function = "".join(read(f) for f in sources if f.split("/")[0] in
                       ("lambda", "runtime", "aws", "common", "model"))
    read_vars = set(re.findall(r'\b(?:getenv|env)\("([A-Z][A-Z0-9_]+)"\)', function))
    missing = sorted(read_vars - names - {"_X_AMZN_TRACE_ID"})
    if missing:
        print(f"note - README.md's configuration table does not name yet: {' '.join(missing)}",
              flush=True)


def slugs(path):
    """The anchors GitHub gives a Markdown file's headings."""
    out = set()
    for h in re.findall(r"^#+ (.*)$", read(path), re.M):
        slug = re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
        out.add(slug)
    return out


def test_links():
    for doc in DOCS:
        base = os.path.dirname(doc)
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)]*))?\)", read(doc)):
            if "://" in target or target.startswith("mailto:"):
                continue
            path = os.path.normpath(os.path.join(base, target)) if target else doc
            exists = os.path.exists(os.path.join(ROOT, path))
            check(f"{doc}: link {target or '#' + anchor} exists", exists, path, "missing")
            if exists and anchor and path.endswith(".md"):
                check(f"{doc}: {path} has the heading #{anchor}", anchor in slugs(path),
                      anchor, sorted(slugs(path)))


def documented_batch_sizes():
    """{form: (null keys, uuid keys)} from docs/function.md's table."""
    text = read("docs/function.md")
    forms = {"JSON object": "object", "`Map.toString()` string": "map",
             "escaped-JSON string": "escaped"}
    out = {}
    for row in text.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) == 4:
            for label, form in forms.items():
                if cells[0].startswith(label):
                    num = [int(re.sub(r"[^0-9]", "", c)) for c in cells[2:4]]
                    out[form] = tuple(num)
    return out


def measured_batch_sizes(key):
    r = subprocess.run([PY, os.path.join(ROOT, "scripts", "batch_limits.py"), "--json",
                        "--key", key], capture_output=True, text=True)
    if r.returncode != 0:
        check(f"scripts/batch_limits.py --key {key} runs", False, "exit 0", r.stderr[-500:])
        return {}
    return {d["form"]: d["records"] for d in map(json.loads, r.stdout.splitlines())}


def test_batch_sizes():
    doc = documented_batch_sizes()
    check("docs/function.md has the largest batch of each value form",
          sorted(doc) == ["escaped", "map", "object"], ["escaped", "map", "object"], sorted(doc))
    for i, key in enumerate(("none", "uuid")):
        got = measured_batch_sizes(key)
        for form, sizes in sorted(doc.items()):
            check(f"docs/function.md: largest batch, {form} values, keys {key}, "
                  "is what scripts/batch_limits.py measures", got.get(form) == sizes[i],
                  got.get(form), sizes[i])


def main():
    test_readme_length()
    test_targets(make_targets())
    test_suites_documented()
    test_env_vars()
    test_links()
    if "--no-batch-size" not in sys.argv:
        test_batch_sizes()
    return finish("docs")


if __name__ == "__main__":
    sys.exit(main())
