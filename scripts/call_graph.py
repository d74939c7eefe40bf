#!/usr/bin/env python3
"""call_graph.py: which C source files of one folder call each other.

For every tracked .c file it finds the functions defined there (at the start
of a line, with a body) and the names each file calls (a name followed by
'('), after dropping comments, string and character literals and
preprocessor lines.  A call from a.c to a function that b.c of the same
folder defines (not static) is an edge a.c -> b.c.

  call_graph.py [FOLDER...]         prints each folder's edges, one per line
  call_graph.py --check [FOLDER...] prints only the pairs that call each
                                    other both ways; exits 1 if there are any

Folders default to every folder with tracked .c files.  Limits: calls made
by macros or inline functions of headers, and calls through function
pointers, are not seen.
"""
import os
import re
import subprocess
import sys

DEF = re.compile(r"^(?![ \t#}])([^;{}()=]*?)\b([A-Za-z_]\w*)\s*\(([^;{}]*?)\)\s*(?:__attribute__\s*\(\(.*?\)\)\s*)?\{",
                 re.M | re.S)
CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "defined", "__attribute__",
            "_Alignof", "_Static_assert", "__typeof__", "typeof"}


def strip(text):
    """The text without comments, string or character literals and
    preprocessor lines (newlines kept, so line starts stay line starts)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    lines = "".join(out).split("\n")
    kept, cont = [], False
    for line in lines:  # drop #define and other directives, with their continuations
        directive = cont or line.lstrip().startswith("#")
        cont = directive and line.endswith("\\")
        kept.append("" if directive else line)
    return "\n".join(kept)


def sources(folders):
    files = subprocess.run(["git", "ls-files", "*.c"], capture_output=True, text=True,
                           check=True).stdout.split()
    by_dir = {}
    for f in files:
        by_dir.setdefault(os.path.dirname(f), []).append(f)
    if folders:
        by_dir = {d: fs for d, fs in by_dir.items() if d in {x.rstrip("/") for x in folders}}
    return by_dir


def edges(files):
    """{(caller, callee): sorted names} for the files of one folder."""
    defined, calls = {}, {}
    for f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            text = strip(fh.read())
        names = set()
        for m in DEF.finditer(text):
            head, name = m.group(1), m.group(2)
            if name in KEYWORDS:
                continue
            names.add(name)
            if not re.search(r"\bstatic\b", head):
                defined.setdefault(name, []).append(f)
        calls[f] = {m.group(1) for m in CALL.finditer(text)} - KEYWORDS
    out = {}
    for f in files:
        for name in calls[f]:
            owners = defined.get(name, [])
            if len(owners) == 1 and owners[0] != f:  # main() and the like: ambiguous, skipped
                out.setdefault((f, owners[0]), []).append(name)
    return {k: sorted(v) for k, v in out.items()}


def main(argv):
    check = "--check" in argv
    folders = [a for a in argv if a != "--check"]
    bad = 0
    for d, files in sorted(sources(folders).items()):
        e = edges(sorted(files))
        if not check:
            for (a, b), names in sorted(e.items()):
                print("%s -> %s: %s" % (a, b, " ".join(names)))
            continue
        for (a, b), names in sorted(e.items()):
            if a < b and (b, a) in e:
                print("%s: calls %s, which calls it back (%s; %s)" % (
                    a, b, " ".join(names), " ".join(e[(b, a)])))
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
