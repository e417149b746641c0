#!/usr/bin/env python3
"""Side-by-side encoding benchmark: llmdata tokenize vs tiktoken (same GPT-2 ranks,
encode_ordinary per document, one thread), on the same JSONL documents.

Throughput is text MB (UTF-8 bytes of the documents) per second, excluding the time to load the
vocabulary on both sides (tiktoken: building the Encoding; llmdata: `load_seconds` in --stats).
llmdata's time includes reading and parsing the JSONL. tiktoken: best of 3. llmdata: nine
interleaved rounds of the four configurations (RUNS), best wall time and best CPU time (user + system
minus the vocabulary load) of each. "Encode only" is `--discard`: the same reading, parsing and
encoding, the ids counted and dropped, no shard directory touched.

Usage: bench_tokenize.py LLMDATA_BIN RANKS INPUT.jsonl
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import tiktoken
from tiktoken.load import load_tiktoken_bpe

RUNS = 9
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
    configs = (("llmdata encode only, --jobs 1", ["--jobs", "1", "--discard"]),
               ("llmdata encode + write shards, --jobs 1", ["--jobs", "1"]),
               ("llmdata encode only, --jobs 2", ["--jobs", "2", "--discard"]),
               ("llmdata encode + write shards, --jobs 2", ["--jobs", "2"]))
    # Interleaved (every round runs each configuration once) so that load from other jobs on the
    # machine hits all of them alike; best of RUNS for wall time and, separately, for CPU time
    # (user + system of the process, minus the vocabulary load, which is one thread).
    wall = {label: 1e9 for label, _ in configs}
    cpu = {label: 1e9 for label, _ in configs}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(RUNS):
            for label, args in configs:
                stats = os.path.join(tmp, "s.json")
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                subprocess.run([binary, "tokenize", path, "--tiktoken", ranks_path, "--pattern", "gpt2", "-o",
                                os.path.join(tmp, "shards"), "--overwrite", "--quiet", "--stats", stats, *args], check=True)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                s = json.load(open(stats))
                wall[label] = min(wall[label], s["seconds"] - s["load_seconds"])
                used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                cpu[label] = min(cpu[label], used - s["load_seconds"])
    for label, _ in configs:
        print(f"{label:44s} {mb / wall[label]:8.1f} {mb / wall[label] / tik:11.2f}x   wall {1000 * wall[label]:6.1f} ms, CPU {1000 * cpu[label]:6.1f} ms")
    one = "llmdata encode only, --jobs 1"
    two = "llmdata encode only, --jobs 2"
    print(f"--jobs 2 vs --jobs 1 (encode only): {wall[one] / wall[two]:.2f}x")
    for j, enc, sh in ((1, one, "llmdata encode + write shards, --jobs 1"), (2, two, "llmdata encode + write shards, --jobs 2")):
        print(f"writing shards adds {100 * (wall[sh] / wall[enc] - 1):.1f}% to encoding alone (--jobs {j}), "
              f"{100 * (cpu[sh] / cpu[enc] - 1):.1f}% in CPU time")


if __name__ == "__main__":
    main()
