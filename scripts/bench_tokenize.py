#!/usr/bin/env python3
"""Side-by-side encoding benchmark: llmdata tokenize vs tiktoken (same GPT-2 ranks,
encode_ordinary per document, one thread), on the same JSONL documents.

Throughput is text MB (UTF-8 bytes of the documents) per second, excluding the time to load the
vocabulary on both sides (tiktoken: building the Encoding; llmdata: `load_seconds` in --stats).
llmdata's time includes reading and parsing the JSONL. Best of 3 runs each.

Usage: bench_tokenize.py LLMDATA_BIN RANKS INPUT.jsonl
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import tiktoken
from tiktoken.load import load_tiktoken_bpe

GPT2 = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""


def main():
    binary, ranks_path, path = sys.argv[1:4]
    texts = [json.loads(l)["text"] for l in open(path, encoding="utf-8") if l.strip()]
    mb = sum(len(t.encode()) for t in texts) / 1e6
    ranks = load_tiktoken_bpe(ranks_path)
    enc = tiktoken.Encoding(name="gpt2", pat_str=GPT2, mergeable_ranks=ranks, special_tokens={"<|endoftext|>": len(ranks)})
    best = 1e9
    for _ in range(3):
        t0 = time.perf_counter()
        for t in texts:
            enc.encode_ordinary(t)
        best = min(best, time.perf_counter() - t0)
    tik = mb / best
    print(f"input: {os.path.basename(path)}, {len(texts)} documents, {mb:.1f} MB of text")
    print(f"{'run':44s} {'MB/s':>8s} {'vs tiktoken':>12s}")
    print(f"{'tiktoken encode_ordinary, 1 thread':44s} {tik:8.1f} {1.0:11.2f}x")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, args in (("llmdata encode only, --jobs 1", ["--jobs", "1", "--discard"]),
                            ("llmdata encode + write shards, --jobs 1", ["--jobs", "1"]),
                            ("llmdata encode only, --jobs 2", ["--jobs", "2", "--discard"]),
                            ("llmdata encode + write shards, --jobs 2", ["--jobs", "2"])):
            best = 1e9
            for _ in range(3):
                stats = os.path.join(tmp, "s.json")
                subprocess.run([binary, "tokenize", path, "--tiktoken", ranks_path, "--pattern", "gpt2", "-o",
                                os.path.join(tmp, "shards"), "--overwrite", "--quiet", "--stats", stats, *args], check=True)
                s = json.load(open(stats))
                best = min(best, s["seconds"] - s["load_seconds"])
            results[label] = mb / best
            print(f"{label:44s} {mb / best:8.1f} {mb / best / tik:11.2f}x")
    one = results["llmdata encode only, --jobs 1"]
    print(f"--jobs 2 vs --jobs 1 (encode only): {results['llmdata encode only, --jobs 2'] / one:.2f}x")
    print(f"writing shards adds {100 * (one / results['llmdata encode + write shards, --jobs 1'] - 1):.1f}% to encoding alone (--jobs 1)")
    two = results["llmdata encode only, --jobs 2"]
    print(f"writing shards adds {100 * (two / results['llmdata encode + write shards, --jobs 2'] - 1):.1f}% to encoding alone (--jobs 2)")


if __name__ == "__main__":
    main()
