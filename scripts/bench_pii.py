#!/usr/bin/env python3
"""Speed of `normalize --pii` (docs/perf/pii.md): llmdata's normalize with and without --pii and
--pii-phones, best of N interleaved runs at --jobs 1 and 2, and datatrove's PIIFormatter.format on
the same texts (best of N, texts already decoded; JSON reading not timed).

Usage: bench_pii.py LLMDATA_BIN FILE.jsonl [--rounds 5]
"""
import argparse
import json
import subprocess
import time

from datatrove.pipeline.formatters.pii import PIIFormatter

CONFIGS = [
    ("normalize", []),
    ("normalize --pii", ["--pii"]),
    ("normalize --pii-phones", ["--pii-phones"]),
    ("normalize --form none --no-clean", ["--form", "none", "--no-clean"]),
    ("normalize --form none --no-clean --pii", ["--form", "none", "--no-clean", "--pii"]),
    ("normalize --form none --no-clean --pii-phones", ["--form", "none", "--no-clean", "--pii-phones"]),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("file")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    best = {}
    for _ in range(a.rounds):
        for name, flags in CONFIGS:
            for j in ("1", "2"):
                t = time.perf_counter()
                subprocess.run([a.binary, "normalize", a.file, *flags, "--quiet", "--jobs", j],
                               stdout=subprocess.DEVNULL, check=True)
                d = time.perf_counter() - t
                best[(name, j)] = min(best.get((name, j), 1e9), d)
    for (name, j), d in best.items():
        print(f"llmdata {name:46s} --jobs {j}  {d:.3f} s")
    texts = [json.loads(l)["text"] for l in open(a.file, encoding="utf-8")]
    f = PIIFormatter(email_replacement="email@example.com", ip_replacement="22.214.171.124")
    b = 1e9
    for _ in range(a.rounds):
        t = time.perf_counter()
        for x in texts:
            f.format(x)
        b = min(b, time.perf_counter() - t)
    mb = sum(len(x.encode()) for x in texts) / 1e6
    print(f"datatrove PIIFormatter.format, {len(texts)} texts, {mb:.1f} MB of text: {b:.3f} s")


if __name__ == "__main__":
    main()
