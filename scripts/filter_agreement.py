#!/usr/bin/env python3
"""Per-rule keep/drop agreement of `llmdata filter` with datatrove's GopherQualityFilter,
GopherRepetitionFilter, C4QualityFilter and FineWebQualityFilter (same default thresholds) on the
same JSONL, and the throughput of both on those four rule sets (datatrove in one process, each
filter on the original text; llmdata --jobs 2, whole command).

Usage: filter_agreement.py LLMDATA_BIN FILE.jsonl [--limit N] [--floor X] [--language L] [--rules a,b]
                           [--line-checks-only]
  exit 1 below the floor (default 0.995). --language (default en) goes to both tools; for zh,
  datatrove splits words with jieba (pip install jieba) and the default rules are the two it
  supports there, gopher_repetition and fineweb (docs/filters.md says why gopher_quality and c4
  deviate for Chinese by design).
"""
import json
import subprocess
import sys
import time

from datatrove.data import Document
from filter_rows import load_rows
from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter


RULES = ["gopher_repetition", "gopher_quality", "c4", "fineweb"]


def main():
    binary, path = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    limit = int(args[args.index("--limit") + 1]) if "--limit" in args else None
    floor = float(args[args.index("--floor") + 1]) if "--floor" in args else 0.995
    language = args[args.index("--language") + 1] if "--language" in args else "en"
    default_rules = RULES if language == "en" else ["gopher_repetition", "fineweb"]
    rules = args[args.index("--rules") + 1].split(",") if "--rules" in args else default_rules
    # --line-checks-only: FineWeb without its one word-based check (list_ratio), on both sides
    line_only = "--line-checks-only" in args
    rows, inp, mb = load_rows(path, limit)
    t0 = time.perf_counter()
    p = subprocess.run([binary, "filter", inp, "--annotate", "--quiet", "--rules", ",".join(rules), "--language", language]
                       + (["--set", "fineweb.new_line_ratio=1000000"] if line_only else []), capture_output=True, check=True)
    t_ll = time.perf_counter() - t0
    ours = [json.loads(l)["metadata"]["quality"]["failed"] for l in p.stdout.decode().split("\n")[:-1]]
    every = {"gopher_quality": GopherQualityFilter, "gopher_repetition": GopherRepetitionFilter,
             "c4": C4QualityFilter, "fineweb": FineWebQualityFilter}
    filters = {k: every[k](language=language) for k in rules}
    if line_only and "fineweb" in filters:
        filters["fineweb"] = FineWebQualityFilter(language=language, new_line_ratio=1e6)
    t0 = time.perf_counter()
    theirs = {k: [] for k in filters}
    for i, r in enumerate(rows):
        for k, f in filters.items():
            res = f.filter(Document(text=r["text"], id=str(i)))
            theirs[k].append(None if res is True else res[1])
    t_dt = time.perf_counter() - t0
    print(f"{path}: {len(rows)} documents, {mb:.1f} MB, language {language}")
    ok = True
    for k in filters:
        agree = sum((ours[i].get(k) is None) == (theirs[k][i] is None) for i in range(len(rows)))
        same_reason = sum(ours[i].get(k) == theirs[k][i] for i in range(len(rows)))
        dropped_dt = sum(x is not None for x in theirs[k])
        dropped_ll = sum(o.get(k) is not None for o in ours)
        print(f"  {k:18s} keep/drop agreement {agree / len(rows):.4f} (same reason {same_reason / len(rows):.4f}); "
              f"dropped: datatrove {dropped_dt}, llmdata {dropped_ll}")
        ok &= agree / len(rows) >= floor
        diffs = [(i, ours[i].get(k), theirs[k][i]) for i in range(len(rows)) if (ours[i].get(k) is None) != (theirs[k][i] is None)]
        for i, a, b in diffs[:3]:
            print(f"    differs: doc {i}: llmdata {a}, datatrove {b}")
    if "c4" in filters:
        # --c4-lines against the text datatrove's C4QualityFilter leaves (it always rewrites)
        p = subprocess.run([binary, "filter", inp, "--annotate", "--quiet", "--rules", "c4", "--c4-lines", "--language", language],
                           capture_output=True, check=True)
        rewritten = [json.loads(l) for l in p.stdout.decode().split("\n")[:-1]]
        c4 = C4QualityFilter(language=language)
        both = same = 0
        for i, r in enumerate(rows):
            d = Document(text=r["text"], id=str(i))
            if c4.filter(d) is True and not rewritten[i]["metadata"]["quality"]["failed"]:
                both += 1
                same += d.text == rewritten[i]["text"]
        print(f"  c4 --c4-lines: rewritten text identical to datatrove's on {same} of {both} documents both keep")
        ok &= same == both
    print(f"  throughput: datatrove {mb / t_dt:.2f} MB/s (one process), llmdata {mb / t_ll:.1f} MB/s (--jobs 2, whole command) "
          f"= {t_dt / t_ll:.0f}x")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
