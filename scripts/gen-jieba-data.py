#!/usr/bin/env python3
"""Generates models/jieba/ from the pinned jieba 0.42.1 installed in the venv (MIT licence,
https://github.com/fxsjy/jieba): the data `llmdata filter --language cmn_Hani` splits Chinese
words with (Sources/LLMDataFilter/Jieba.swift), as datatrove does through spaCy and jieba.

  dict.txt.zst  jieba/dict.txt verbatim (349,046 lines "word freq tag"), after a few header
                lines starting with "#"; zstd level 19 (5.1 MB -> 1.6 MB).
  hmm.txt.zst   jieba/finalseg's HMM tables (prob_start.py, prob_trans.py, prob_emit.py) as text:
                "start S P", "trans S1 S2 P", "emit S HEXCODEPOINT P", P as Python's repr(float)
                (reads back to the same double); zstd level 19 (1.1 MB -> 0.2 MB).

Usage: gen-jieba-data.py [OUT_DIR]   (default models/jieba; scripts/check.d/41-jieba.sh
regenerates into a temporary directory and compares the decompressed contents)
"""
import os
import sys

import jieba
import jieba.finalseg.prob_emit as prob_emit
import jieba.finalseg.prob_start as prob_start
import jieba.finalseg.prob_trans as prob_trans
import zstandard

VERSION = "0.42.1"
HEADER = ("# {what} from jieba {v} (https://github.com/fxsjy/jieba, MIT licence), "
          "installed in the venv. Regenerate with: scripts/gen-jieba-data.py\n"
          "# Lines starting with '#' are this header; llmdata skips them.\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "models", "jieba")
    if jieba.__version__ != VERSION:
        sys.exit(f"jieba {jieba.__version__} installed; the data is pinned to {VERSION}")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), "rb") as f:
        raw = f.read()
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    # the loader reads "word freq" pairs split at single spaces, as jieba's gen_pfdict does
    for n, line in enumerate(lines, 1):
        parts = line.strip().decode("utf-8").split(" ")
        if len(parts) < 2 or not parts[1].isdigit() or line.startswith(b"#"):
            sys.exit(f"dict.txt line {n}: unexpected entry {line!r}")
    dict_text = HEADER.format(what="jieba/dict.txt", v=VERSION).encode() + raw
    write(os.path.join(out, "dict.txt.zst"), dict_text)

    rows = [HEADER.format(what="jieba/finalseg HMM tables (prob_start, prob_trans, prob_emit)", v=VERSION)]
    for s in "BMES":
        rows.append(f"start {s} {prob_start.P[s]!r}\n")
    for s in "BMES":
        for s2, p in sorted(prob_trans.P[s].items()):
            rows.append(f"trans {s} {s2} {p!r}\n")
    for s in "BMES":
        for ch, p in sorted(prob_emit.P[s].items()):
            rows.append(f"emit {s} {ord(ch):x} {p!r}\n")
    write(os.path.join(out, "hmm.txt.zst"), "".join(rows).encode())


def write(path, data):
    with open(path, "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(data))
    print(f"{path}: {len(data)} bytes, {os.path.getsize(path)} compressed")


if __name__ == "__main__":
    main()
