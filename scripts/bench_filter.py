#!/usr/bin/env python3
"""Throughput of `llmdata filter` against datatrove on the same JSONL and the same four rule sets,
run as a pipeline the way datatrove runs them: GopherRepetition -> GopherQuality -> C4 (which
rewrites the text it keeps) -> FineWeb, a document leaving at its first failure.

datatrove: its filters' filter() over Document objects in one process (reading and writing the
JSONL excluded). llmdata: the whole command with --jobs 2 (startup, JSON parsing and writing
included), best of three. Prints both MB/s, the ratio, and whether the kept sets are equal.

Usage: bench_filter.py LLMDATA_BIN FILE.jsonl [--limit N]
"""
import json
import subprocess
import sys
import time

from datatrove.data import Document
from filter_rows import load_rows
from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter


def main():
    binary, path = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[sys.argv.index("--limit") + 1]) if "--limit" in sys.argv else None
    rows, inp, mb = load_rows(path, limit)
    chain = [GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(), FineWebQualityFilter()]
    t0 = time.perf_counter()
    kept_dt = []
    for i, r in enumerate(rows):
        d = Document(text=r["text"], id=str(i))
        if all(f.filter(d) is True for f in chain):
            kept_dt.append(d.text)
    t_dt = time.perf_counter() - t0
    cmd = [binary, "filter", inp, "--quiet", "--jobs", "2", "--language", "en", "--c4-lines",
           "--rules", "gopher_repetition,gopher_quality,c4,fineweb"]
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, check=True)
        t = time.perf_counter() - t0
        best = t if best is None else min(best, t)
    kept_ll = [json.loads(l)["text"] for l in p.stdout.decode().split("\n")[:-1]]
    same = sum(a == b for a, b in zip(kept_dt, kept_ll)) if len(kept_dt) == len(kept_ll) else None
    print(f"{path}: {len(rows)} documents, {mb:.1f} MB; kept: datatrove {len(kept_dt)}, llmdata {len(kept_ll)}"
          + (f", same texts {same}" if same is not None else ""))
    print(f"  four rule sets as a pipeline: datatrove {mb / t_dt:.2f} MB/s (one process), "
          f"llmdata {mb / best:.1f} MB/s (--jobs 2, whole command) = {t_dt / best:.0f}x")


if __name__ == "__main__":
    main()
