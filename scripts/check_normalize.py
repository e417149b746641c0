#!/usr/bin/env python3
"""Cross-checks `llmdata normalize` against Python on real records.

1. Normalization alone (`--no-clean`): the text must equal unicodedata.normalize(FORM, text)
   for NFKC and NFC, on every record whose characters are all assigned in Python's Unicode
   version (ICU and Python may be on different Unicode versions; NFKC is stable for assigned
   characters, so only newly assigned ones can differ).
2. Normalization + cleaning: the text must equal an independent Python implementation of the
   cleaning rules documented in docs/normalize.md.
3. Every other field of every record is unchanged (values byte-identical, keys in order).

Usage: check_normalize.py LLMDATA_BIN FILE.jsonl...   (exit 1 on any mismatch)
"""
import json
import subprocess
import sys
import unicodedata

NEWLINES = {"\n", "\x0b", "\x0c", "\r", "\x85", "\u2028", "\u2029"}


def char_class(c, keep_joiners=True):
    if c in NEWLINES:
        return "newline"
    if c == "\t":
        return "space"
    if c in ("\u200c", "\u200d"):
        return "other" if keep_joiners else "remove"
    cat = unicodedata.category(c)
    if cat in ("Cc", "Cf"):
        return "remove"
    if cat == "Zs":
        return "space"
    return "other"


def clean(s, keep_joiners=True, collapse_indent=False):
    """The cleaning rules of docs/normalize.md, written independently of the Swift code."""
    out = []
    pending_nl = 0
    ws_start = -1
    ws_chars = 0
    ws_contig = True
    at_line_start = True
    any_content = False
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        step = 1
        if c == "\r" and i + 1 < n and s[i + 1] == "\n":
            step = 2
        cls = char_class(c, keep_joiners)
        if cls == "other":
            if pending_nl:
                if any_content:
                    out.append("\n" * min(pending_nl, 2))
                pending_nl = 0
            if ws_chars:
                if (at_line_start and not collapse_indent and ws_contig) or (ws_chars == 1 and ws_contig):
                    out.append(s[ws_start:i])
                else:
                    out.append(" ")
                ws_chars = 0
            out.append(c)
            any_content = True
            at_line_start = False
        elif cls == "space":
            if ws_chars == 0:
                ws_start = i
                ws_contig = True
            ws_chars += 1
        elif cls == "newline":
            pending_nl += 1
            ws_chars = 0
            at_line_start = True
        else:
            if ws_chars:
                ws_contig = False
        i += step
    return "".join(out)


def all_assigned(s):
    return all(unicodedata.category(c) != "Cn" for c in s)


def run(binary, args, data):
    p = subprocess.run([binary, "normalize", "--quiet", "--jobs", "2", *args], input=data, capture_output=True)
    if p.returncode != 0:
        sys.exit(f"llmdata failed ({p.returncode}): {p.stderr.decode()}")
    # split at \n only: str.splitlines() also breaks at U+2028, U+0085 … that JSON leaves unescaped
    return [json.loads(l) for l in p.stdout.decode("utf-8").split("\n") if l]


def main():
    binary, files = sys.argv[1], sys.argv[2:]
    records, raw = [], b""
    for f in files:
        data = open(f, "rb").read()
        raw += data if data.endswith(b"\n") else data + b"\n"
        records += [json.loads(l) for l in data.decode("utf-8").split("\n") if l.strip()]
    failures = 0
    compared = {}
    for form, args in (("NFKC", ["--form", "nfkc"]), ("NFC", ["--form", "nfc"])):
        got = run(binary, args + ["--no-clean"], raw)
        assert len(got) == len(records), (len(got), len(records))
        n = 0
        for r, g in zip(records, got):
            if not all_assigned(r["text"]):
                continue
            n += 1
            want = unicodedata.normalize(form, r["text"])
            if g["text"] != want:
                failures += 1
                if failures <= 5:
                    print(f"{form} mismatch in {r.get('id')}: {g['text'][:80]!r} != {want[:80]!r}")
        compared[form] = n
    for label, args, fn in (
        ("NFKC+clean", ["--form", "nfkc"], lambda t: clean(unicodedata.normalize("NFKC", t))),
        ("NFC+clean", ["--form", "nfc"], lambda t: clean(unicodedata.normalize("NFC", t))),
        ("clean only, joiners stripped", ["--form", "none", "--strip-joiners"], lambda t: clean(t, keep_joiners=False)),
        ("clean only, indentation collapsed", ["--form", "none", "--collapse-indent"], lambda t: clean(t, collapse_indent=True)),
    ):
        got = run(binary, args, raw)
        n = 0
        for r, g in zip(records, got):
            if not all_assigned(r["text"]):
                continue
            n += 1
            want = fn(r["text"])
            if g["text"] != want:
                failures += 1
                if failures <= 10:
                    print(f"{label} mismatch in {r.get('id')}:\n  got  {g['text'][:200]!r}\n  want {want[:200]!r}")
            for k, v in r.items():
                if k != "text" and g.get(k) != v:
                    failures += 1
                    print(f"{label}: field {k} changed in {r.get('id')}")
            if [k for k in g if k in r] != list(r.keys()):
                failures += 1
                print(f"{label}: key order changed in {r.get('id')}")
        compared[label] = n
    skipped = len(records) - compared["NFKC"]
    print(f"normalize cross-check: {len(records)} records, {skipped} skipped (characters unassigned in Python's "
          f"Unicode {unicodedata.unidata_version}), compared: " + ", ".join(f"{k} {v}" for k, v in compared.items())
          + f"; mismatches: {failures}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
