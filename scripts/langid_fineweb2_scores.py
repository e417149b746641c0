#!/usr/bin/env python3
"""How `llmdata langid`'s language_score relates to FineWeb-2's per-language `language_score`
thresholds (which were set on GlotLID's scores), measured on a labelled dev set: per language,
the share of documents identified correctly, the median score of those, and the share of them
that `--min-score-preset fineweb2` keeps against the share `--min-score 0.65` keeps.

Usage: langid_fineweb2_scores.py LLMDATA_BIN DEV.jsonl    (records {"text", "lang"})
"""
import json
import os
import statistics
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    binary, dev = sys.argv[1], sys.argv[2]
    rows = [json.loads(l) for l in open(dev, encoding="utf-8")]
    out = subprocess.run([binary, "langid", dev, "--quiet"], capture_output=True, check=True).stdout.decode().split("\n")[:-1]
    got = [json.loads(l)["metadata"] for l in out]
    lang3 = {}
    for line in open(os.path.join(ROOT, "models/fineweb2/languages.tsv"), encoding="utf-8"):
        if not line.startswith("#"):
            a, b, c = line.rstrip("\n").split("\t")
            lang3[a] = f"{b}_{c}"
    print("| language | FineWeb-2 config | its threshold | documents | identified correctly | median score (correct) | kept at 0.65 | kept by the preset |")
    print("|---|---|---|---|---|---|---|---|")
    for lang in sorted({r["lang"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["lang"] == lang]
        ok = [got[i]["language_score"] for i in idx if got[i]["language"] == lang]
        name = lang3.get(lang)
        path = os.path.join(ROOT, "models/fineweb2", f"{name}.yml") if name else None
        thr = yaml.safe_load(open(path))["language_score"] if path and os.path.exists(path) else None
        keep65 = sum(s >= 0.65 for s in ok) / len(idx)
        keepp = sum(s >= (thr if thr is not None else 0.65) for s in ok) / len(idx)
        med = statistics.median(ok) if ok else float("nan")
        print(f"| {lang} | {name if thr is not None else '(none)'} | {thr if thr is not None else '0.65 (--min-score)'} | {len(idx)} | "
              f"{len(ok) / len(idx):.3f} | {med:.3f} | {keep65:.3f} | {keepp:.3f} |")


if __name__ == "__main__":
    main()
