#!/usr/bin/env python3
"""Cross-checks `llmdata tokenize --tokenizer MODEL.model` with sentencepiece.

For every record: the ids in the shards (scripts/shards_reader.py) equal
`SentencePieceProcessor(model_file=MODEL).encode(text)` followed by the model's </s>, and
`shards decode` of a few documents equals sentencepiece's `decode` of the same ids.

Usage:
  check_sentencepiece.py LLMDATA_BIN WORKDIR MODEL INPUT.jsonl...
  check_sentencepiece.py LLMDATA_BIN WORKDIR MODEL --refuse WORD INPUT.jsonl...
      (tokenize must exit 2 with WORD in its message)
"""
import argparse
import json
import os
import subprocess
import sys

import sentencepiece as spm

sys.path.insert(0, os.path.dirname(__file__))
from shards_reader import read_documents  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("workdir")
    ap.add_argument("model")
    ap.add_argument("--refuse")
    ap.add_argument("--jobs", default="2")
    ap.add_argument("inputs", nargs="+")
    a = ap.parse_args()
    out = os.path.join(a.workdir, "sp-shards")
    args = [a.binary, "tokenize", *a.inputs, "--tokenizer", a.model, "-o", out, "--overwrite", "--quiet",
            "--jobs", a.jobs, "--tokens-per-shard", "200000", "--batch-bytes", "100000"]
    p = subprocess.run(args, capture_output=True, text=True)
    name = os.path.basename(a.model)
    if a.refuse:
        ok = p.returncode == 2 and a.refuse in p.stderr
        print(f"{name}: refused with exit {p.returncode}, message names '{a.refuse}': {'yes' if ok else 'NO'}"
              + ("" if ok else f"\n{p.stderr}"))
        sys.exit(0 if ok else 1)
    if p.returncode != 0:
        sys.exit(f"{name}: tokenize failed ({p.returncode}): {p.stderr}")
    sp = spm.SentencePieceProcessor(model_file=a.model)
    texts = []
    for f in a.inputs:
        for line in open(f, encoding="utf-8"):
            if line.strip():
                texts.append(json.loads(line)["text"])
    m = json.load(open(os.path.join(out, "manifest.json")))
    if m["eos_id"] != sp.eos_id():
        sys.exit(f"{name}: EOS {m['eos_id']}, sentencepiece's eos_id is {sp.eos_id()}")
    docs = list(read_documents(out))
    assert len(docs) == len(texts), (len(docs), len(texts))
    bad = 0
    ntok = 0
    for i, (t, d) in enumerate(zip(texts, docs)):
        want = sp.encode(t) + [sp.eos_id()]
        got = list(map(int, d))
        ntok += len(got)
        if got != want:
            bad += 1
            if bad <= 3:
                k = next((j for j in range(min(len(got), len(want))) if got[j] != want[j]), min(len(got), len(want)))
                print(f"{name}: record {i} ({t[:60]!r}): ids differ at {k}: ours {got[k:k+8]} sentencepiece {want[k:k+8]}"
                      f" ({[sp.id_to_piece(x) for x in want[k:k+8]]})")
    # documents without an unknown piece (sentencepiece decodes <unk> as its unk_surface)
    plain = [i for i, t in enumerate(texts) if sp.unk_id() not in sp.encode(t)]
    for i in sorted({plain[0], plain[len(plain) // 2], plain[-1]} if plain else set()):
        got = subprocess.run([a.binary, "shards", "decode", out, "--doc", str(i)], capture_output=True).stdout
        want = sp.decode(sp.encode(texts[i])).encode("utf-8") + b"\n"
        if got != want:
            bad += 1
            print(f"{name}: shards decode --doc {i} differs from sentencepiece's decode: {got[:80]!r} vs {want[:80]!r}")
    print(f"{name}: {len(texts)} records, {ntok} tokens: ids equal to sentencepiece's encode: "
          f"{'yes' if not bad else f'NO ({bad} problems)'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
