#!/usr/bin/env python3
"""Writes spaCy's tokenizer rules for the languages FineWeb-2 splits with datatrove's
SpaCyTokenizer (Sources/LLMDataFilter/SpacyTokenizer.swift reads them).

    .data/venv/bin/python scripts/gen-spacy-rules.py models/spacy

From the pinned spacy (scripts/lib.sh PINS) and datatrove's assets/tokenizer_assignment.csv, for
each configuration in models/fineweb2/ whose tokenizer is SpaCyTokenizer (not zh: jieba, ja:
Sudachi, vi: pyvi, which segment differently):
All JSON is written zstd-compressed (.json.zst; `zstd -dc` shows it).
  - {code}.json.zst: indices into patterns.txt.zst (line k + 1) of spacy.blank(code)'s prefix, suffix and infix
    regexes, and lists of them for token_match and url_match (any of the list matching); the special cases (nlp.tokenizer.rules) as
    lists of their ORTH pieces; and "matcher": the special cases spaCy also matches across the
    tokens of a chunk (those its faster_heuristics add to the PhraseMatcher), as the tokens the
    tokenizer makes of them without special cases, when that is more than one token.
  - patterns.txt.zst: each distinct regex once, converted from Python `re` to PCRE2 syntax
    (\\uXXXX and \\UXXXXXXXX escapes to \\x{...}; leading inline flags dropped and the compiled
    flags put back as (?i); `.match` patterns anchored with \\A).
  - index.tsv: FineWeb-2 name -> spaCy code.
"""
import csv, importlib.metadata, json, os, re, sys

import zstandard

import spacy
from spacy.tokenizer import Tokenizer
import datatrove
from datatrove.utils._import_utils import ASSETS_PATH

SKIP = {"zh", "ja", "vi"}
HERE = os.path.dirname(os.path.abspath(__file__))
FW2 = os.path.join(HERE, "..", "models", "fineweb2")


ALTS_PER_GROUP = 10


class Pattern:
    def __init__(self, pattern, flags):
        self.pattern, self.flags = pattern, flags


def strip_flags(p):
    """The pattern without its leading inline flags (the compiled flags say them)."""
    m = re.match(r"^\(\?([aiLmsux]+)\)", p)
    return p[m.end():] if m else p


def top_level_alternatives(p):
    alts, depth, in_class, i, start = [], 0, False, 0, 0
    while i < len(p):
        c = p[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            if p[i + 1:i + 2] == "]":
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            alts.append(p[start:i])
            start = i + 1
        i += 1
    alts.append(p[start:])
    return alts


def convert(rx, anchored):
    """Python re pattern -> PCRE2 (UTF + UCP) pattern."""
    p = strip_flags(rx.pattern)
    # literal line breaks as escapes (the patterns file has one pattern a line)
    p = p.replace("\n", "\\x{A}").replace("\r", "\\x{D}")
    p = re.sub(r"\\U([0-9A-Fa-f]{8})", lambda m: "\\x{%X}" % int(m.group(1), 16), p)
    p = re.sub(r"\\u([0-9A-Fa-f]{4})", lambda m: "\\x{%X}" % int(m.group(1), 16), p)
    flags = ""
    if rx.flags & re.IGNORECASE:
        flags += "i"
    if rx.flags & re.MULTILINE:
        flags += "m"
    if rx.flags & re.DOTALL:
        flags += "s"
    if rx.flags & re.VERBOSE:
        sys.exit(f"verbose pattern not supported: {p[:60]}")
    out = f"(?{flags})" if flags else ""
    return out + (f"\\A(?:{p})" if anchored else p)


def write_zst(path, text):
    """zstd level 19: the patterns repeat the same character classes (2.8 MB -> 10 KB)."""
    with open(path, "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(text.encode("utf-8")))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "models/spacy"
    os.makedirs(out, exist_ok=True)
    names = sorted(f[:-4] for f in os.listdir(FW2) if f.endswith(".yml"))
    assign = {}
    with open(os.path.join(ASSETS_PATH, "tokenizer_assignment.csv")) as f:
        for row in csv.DictReader(f):
            assign[f"{row['code_3']}_{row['script']}"] = (row["type"], row["tok_code"])
    patterns, pindex = [], {}

    def pid(rx, anchored):
        if rx is None:
            return -1
        p = convert(rx, anchored)
        if p not in pindex:
            pindex[p] = len(patterns)
            patterns.append(p)
        return pindex[p]

    def pids(rx):
        """A `.match` pattern as a list of patterns, any of which matching is a match: French's
        token_match (266 alternatives, 1.4 MB) is too large for one PCRE2 pattern (64 KB
        compiled), so a long pattern that is an alternation at the top is cut into groups of
        ALTS_PER_GROUP alternatives."""
        if rx is None:
            return []
        alts = top_level_alternatives(strip_flags(rx.pattern))
        if len(rx.pattern) < 50000 or len(alts) < 2:
            return [pid(rx, True)]
        out = []
        for k in range(0, len(alts), ALTS_PER_GROUP):
            out.append(pid(Pattern("|".join(alts[k:k + ALTS_PER_GROUP]), rx.flags), True))
        return out

    index = []
    done = set()
    for name in names:
        kind, code = assign.get(name, ("", ""))
        if kind != "SpaCyTokenizer" or code in SKIP:
            continue
        index.append((name, code))
        if code in done:
            continue
        done.add(code)
        nlp = spacy.blank(code)
        t = nlp.tokenizer
        bare = Tokenizer(nlp.vocab, rules={}, prefix_search=t.prefix_search, suffix_search=t.suffix_search,
                         infix_finditer=t.infix_finditer, token_match=t.token_match, url_match=t.url_match)
        specials, matcher = [], []
        for key in sorted(t.rules):
            pieces = [p[65] if 65 in p else p["ORTH"] for p in t.rules[key]]
            assert "".join(pieces) == key, key
            specials.append(pieces)
            # add_special_case: added to the PhraseMatcher when an affix rule applies or it has a space
            if t.faster_heuristics and not (t.find_prefix(key) or t.find_infix(key) or t.find_suffix(key) or " " in key):
                continue
            toks = [x.text for x in bare(key)]
            if (len(toks) > 1 or len(pieces) > 1) and not any(s.isspace() or s == "" for s in toks):
                matcher.append(toks)
        data = {
            "comment": f"Generated by scripts/gen-spacy-rules.py from spacy {spacy.__version__} (spacy.blank('{code}').tokenizer); "
                       "do not edit: rerun `.data/venv/bin/python scripts/gen-spacy-rules.py models/spacy`",
            "code": code,
            "prefix": pid(t.prefix_search.__self__, False),
            "suffix": pid(t.suffix_search.__self__, False),
            "infix": pid(t.infix_finditer.__self__, False),
            "token_match": pids(t.token_match.__self__ if t.token_match else None),
            "url_match": pids(t.url_match.__self__ if t.url_match else None),
            "specials": specials,
            "matcher": matcher,
        }
        write_zst(os.path.join(out, f"{code}.json.zst"), json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
    # one pattern a line (numbered from 0 after the comment line): parsing 2.8 MB of JSON cost
    # 50 ms at start-up
    write_zst(os.path.join(out, "patterns.txt.zst"),
              f"# Generated by scripts/gen-spacy-rules.py from spacy {spacy.__version__}; do not edit\n"
              + "".join(p + "\n" for p in patterns))
    with open(os.path.join(out, "index.tsv"), "w") as f:
        f.write(f"# FineWeb-2 name -> spaCy language whose blank tokenizer datatrove {importlib.metadata.version('datatrove')} uses "
                f"(SpaCyTokenizer in tokenizer_assignment.csv).\n# Generated by scripts/gen-spacy-rules.py; do not edit.\n")
        for name, code in index:
            f.write(f"{name}\t{code}\n")
    print(f"{len(index)} FineWeb-2 names, {len(done)} spaCy languages, {len(patterns)} patterns -> {out}")


if __name__ == "__main__":
    main()
