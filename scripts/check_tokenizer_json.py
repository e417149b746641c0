#!/usr/bin/env python3
"""Cross-checks `llmdata tokenize --tokenizer FILE` with HF tokenizers on any tokenizer.json.

For every record the ids in the shards (read by scripts/shards_reader.py) must equal HF's
`Tokenizer.from_file(FILE).encode(text, add_special_tokens=False).ids`, document by document.
Without --allow-special, special added tokens in the text are text to llmdata, and the reference
is HF with `encode_special_tokens = True` (HF's switch for exactly that); with --allow-special HF
matches them as it does by default. With --bos the reference is `encode(text,
add_special_tokens=True)`: the file's own post-processor must put that token first (and its EOS
last when `--eos` names the template's closing token).

Usage: check_tokenizer_json.py LLMDATA_BIN WORKDIR --tokenizer FILE [--bos T] [--eos T] [--allow-special] INPUT.jsonl...
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from shards_reader import read_documents  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("workdir")
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--bos")
    ap.add_argument("--eos")
    ap.add_argument("--allow-special", action="store_true")
    ap.add_argument("--label", default="")
    ap.add_argument("inputs", nargs="+")
    a = ap.parse_args()
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(a.tokenizer)
    tok.encode_special_tokens = not a.allow_special
    texts = []
    for f in a.inputs:
        for line in open(f, encoding="utf-8"):
            if line.strip():
                texts.append(json.loads(line)["text"])
    out = os.path.join(a.workdir, "shards-tj")
    args = [a.binary, "tokenize", *a.inputs, "-o", out, "--overwrite", "--quiet", "--tokenizer", a.tokenizer,
            "--eos", a.eos or "none", "--tokens-per-shard", "200000", "--batch-bytes", "100000"]
    if a.bos:
        args += ["--bos", a.bos]
    if a.allow_special:
        args += ["--allow-special"]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{a.label}: tokenize failed (exit {p.returncode}): {p.stderr}")
    docs = [list(map(int, d)) for d in read_documents(out)]
    assert len(docs) == len(texts), (len(docs), len(texts))
    bad = 0
    ntok = 0
    for i, (t, d) in enumerate(zip(texts, docs)):
        want = tok.encode(t, add_special_tokens=bool(a.bos)).ids
        if not a.bos and a.eos:
            want = want + [tok.token_to_id(a.eos)]
        ntok += len(want)
        if d != want:
            bad += 1
            if bad <= 3:
                k = next((j for j in range(min(len(d), len(want))) if d[j] != want[j]), min(len(d), len(want)))
                print(f"{a.label}: record {i} ({t[:60]!r}): ids differ at {k}: ours {d[max(0, k - 2):k + 6]} HF {want[max(0, k - 2):k + 6]}"
                      f" (HF tokens {tok.encode(t, add_special_tokens=bool(a.bos)).tokens[max(0, k - 2):k + 6]})")
    print(f"{a.label}: {len(texts)} records, {ntok} tokens: ids equal to HF tokenizers' "
          f"{'yes' if not bad else f'NO ({bad} records differ)'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
