#!/usr/bin/env python3
"""Tokenizer encode benchmark, one thread, same run: llmdata tokenize vs fastokens (first pass) vs
tiktoken on cl100k_base, and vs fastokens vs HF tokenizers on DeepSeek-V3's tokenizer.json, plus
the time each takes to load the tokenizer file. Real files from scripts/fetch-tokenizers.sh.

Text: the JSONL documents of INPUT (heldout.jsonl); MB/s = UTF-8 bytes of the documents' text /
encode seconds.

Encode seconds:
- llmdata: the whole `llmdata tokenize INPUT --jobs 1 --discard` command (reading, JSON parsing,
  encoding; the ids counted and dropped) minus the same command on INPUT's first record alone (its
  fixed cost: process start, loading the tokenizer, the output directory), each the best of the
  rounds on its own. Wall time of the processes as this script sees them.
- fastokens: `encode_batch_flat` over all documents in a fresh process, so its cache starts
  empty: a first pass. One thread: FASTOKENS_BPE_THREADS=1 (without it encode_batch_flat runs a
  worker thread of its own whatever RAYON_NUM_THREADS says: CPU time 1.7x wall on 2 cores).
  Load = `Tokenizer.from_tiktoken` / `from_file`.
- tiktoken: `encode_ordinary` per document in a fresh process (no cache to warm). Load = building
  the Encoding from the ranks file.
- HF tokenizers: `encode_batch` over all documents, RAYON_NUM_THREADS=1 and
  TOKENIZERS_PARALLELISM=false, fresh process. Load = `Tokenizer.from_file`.

Every configuration runs once per round, rounds interleaved so that load from other jobs on the
machine hits all alike; the best of the rounds counts (HF tokenizers, ~100x slower, runs fewer
rounds). Token counts are printed: every encoder must produce the same number of tokens. Each
Python measurement also takes its process's CPU time; a run whose encode CPU time exceeds its
wall time by more than 20% used more than one thread and is flagged.

Usage: bench_tokenize.py LLMDATA_BIN TOKENIZER_DIR INPUT.jsonl [ROUNDS]
       bench_tokenize.py --worker fastokens|tiktoken|hf ENCODING_OR_FILE INPUT.jsonl
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def texts_of(path):
    return [json.loads(line)["text"] for line in open(path, encoding="utf-8") if line.strip()]


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def worker(kind, what, path):
    texts = texts_of(path)
    t0 = time.perf_counter()
    if kind == "fastokens":
        import fastokens
        if what.endswith(".json"):
            tok = fastokens.Tokenizer.from_file(what)
        else:
            tok = fastokens.Tokenizer.from_tiktoken(what, encoding="cl100k_base")
        load = time.perf_counter() - t0
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        ids, _ = tok.encode_batch_flat(texts, add_special_tokens=False)
        enc = time.perf_counter() - t0
        n = len(ids) // 4
    elif kind == "tiktoken":
        import tiktoken
        from tiktoken.load import load_tiktoken_bpe
        pat = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
        e = tiktoken.Encoding(name="cl100k_base", pat_str=pat, mergeable_ranks=load_tiktoken_bpe(what),
                              special_tokens={"<|endoftext|>": 100257})
        load = time.perf_counter() - t0
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        n = 0
        for t in texts:
            n += len(e.encode_ordinary(t))
        enc = time.perf_counter() - t0
    elif kind == "hf":
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(what)
        load = time.perf_counter() - t0
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        n = sum(len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False))
        enc = time.perf_counter() - t0
    else:
        raise SystemExit(f"unknown worker {kind}")
    print(json.dumps({"load": load, "encode": enc, "cpu": cpu_seconds() - c0, "tokens": n}))


ONE_THREAD = dict(os.environ, RAYON_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false", OMP_NUM_THREADS="1",
                  FASTOKENS_BPE_THREADS="1")


def run_worker(kind, what, path):
    out = subprocess.run([sys.executable, __file__, "--worker", kind, what, path], env=ONE_THREAD,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    if sys.argv[1] == "--worker":
        worker(*sys.argv[2:5])
        return
    binary, tokdir, path = sys.argv[1:4]
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    texts = texts_of(path)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    cl100k = os.path.join(tokdir, "cl100k_base.tiktoken")
    deepseek = os.path.join(tokdir, "deepseek-v3.tokenizer.json")
    tmp = tempfile.mkdtemp()
    one = os.path.join(tmp, "one.jsonl")
    with open(path, encoding="utf-8") as f, open(one, "w", encoding="utf-8") as o:
        o.write(next(line for line in f if line.strip()))

    def llmdata(args, inp):
        stats = os.path.join(tmp, "stats.json")
        t0 = time.perf_counter()
        r = subprocess.run([binary, "tokenize", inp, *args, "--jobs", "1", "--discard", "--quiet", "--eos", "none",
                            "-o", os.path.join(tmp, "out"), "--overwrite", "--stats", stats], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            return None, r.stderr.strip().splitlines()[0] if r.stderr.strip() else f"exit {r.returncode}"
        s = json.load(open(stats))
        return {"wall": wall, "load": s["load_seconds"], "tokens": s.get("tokens")}, None

    # (label, kind, file): llmdata measures itself, the others in a fresh Python process
    configs = [("cl100k_base", "llmdata", ["--tiktoken", cl100k]), ("cl100k_base", "fastokens", cl100k),
               ("cl100k_base", "tiktoken", cl100k),
               ("DeepSeek-V3 tokenizer.json", "llmdata", ["--tokenizer", deepseek]),
               ("DeepSeek-V3 tokenizer.json", "fastokens", deepseek), ("DeepSeek-V3 tokenizer.json", "hf", deepseek)]
    best = {}
    refused = {}
    for rnd in range(rounds):
        for label, kind, what in configs:
            key = (label, kind)
            if key in refused or (kind == "hf" and rnd >= 2):
                continue
            if kind == "llmdata":
                full, err = llmdata(what, path)
                if err:
                    refused[key] = err
                    continue
                fixed, err = llmdata(what, one)
                if err:
                    refused[key] = err
                    continue
                m = {"full": full["wall"], "load": fixed["load"], "fixed": fixed["wall"], "tokens": full["tokens"]}
            else:
                m = run_worker(kind, what, path)
                if m["cpu"] > 1.2 * m["encode"]:
                    print(f"warning: {kind} on {label} used {m['cpu']:.3f} s of CPU in {m['encode']:.3f} s: more than one thread",
                          file=sys.stderr)
            b = best.setdefault(key, dict(m))
            for k in ("encode", "full", "load", "fixed"):
                if k in m:
                    b[k] = min(b[k], m[k])
    # llmdata's encode time: its best whole command minus its best one-record command (the best of
    # each separately: a difference taken per round would favour a round whose one-record run was slow)
    for b in best.values():
        if "full" in b:
            b["encode"] = b["full"] - b["fixed"]

    names = {"llmdata": "llmdata tokenize --jobs 1", "fastokens": "fastokens 0.3.5, first pass",
             "tiktoken": "tiktoken 0.14.0 encode_ordinary", "hf": "HF tokenizers 0.23.3 encode_batch"}
    print(f"input: {os.path.basename(path)}, {len(texts)} documents, {mb:.1f} MB of text; one thread, best of {rounds} "
          f"interleaved rounds (HF tokenizers: 2)")
    print("llmdata encode = best whole command minus best of the same command on the first record alone (fixed cost)")
    for label in ("cl100k_base", "DeepSeek-V3 tokenizer.json"):
        print(f"\n{label}")
        print(f"  {'encoder':34s} {'MB/s':>7s} {'encode s':>9s} {'load s':>7s} {'tokens':>10s}")
        rows = [k for k in configs if k[0] == label]
        for _, kind, _ in rows:
            key = (label, kind)
            if key in refused:
                print(f"  {names[kind]:34s} not supported yet ({refused[key]})")
                continue
            b = best[key]
            extra = f"   (fixed cost {b['fixed']:.3f} s)" if "fixed" in b else ""
            print(f"  {names[kind]:34s} {mb / b['encode']:7.1f} {b['encode']:9.3f} {b['load']:7.3f} {b['tokens'] or 0:10d}{extra}")
        ours = best.get((label, "llmdata"))
        if ours:
            for kind in ("fastokens", "tiktoken", "hf"):
                other = best.get((label, kind))
                if other:
                    same = "same token count" if other["tokens"] == ours["tokens"] else \
                        f"TOKEN COUNTS DIFFER ({ours['tokens']} vs {other['tokens']})"
                    print(f"  llmdata vs {kind}: {other['encode'] / ours['encode']:.2f}x encode throughput, "
                          f"load {ours['load']:.3f} s vs {other['load']:.3f} s; {same}")


if __name__ == "__main__":
    main()
