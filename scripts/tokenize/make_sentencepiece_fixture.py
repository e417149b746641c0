#!/usr/bin/env python3
"""Regenerates fixtures/tokenize/sp-bpe.model and fixtures/tokenize/sp-bpe.ids.jsonl with
sentencepiece (the version pinned in scripts/lib.sh):

    source scripts/lib.sh; EXTRA_PIP=sentencepiece ensure_venv
    $PY scripts/tokenize/make_sentencepiece_fixture.py

The model: BPE, 1,200 pieces, trained on the first lines of fixtures/sample/en.jsonl and
fixtures/normalize/cjk.jsonl with the identity normalizer (nmt_nfkc's precompiled charsmap alone
would make the file larger than the fixture budget; scripts/check.d/74-sentencepiece.sh covers
it), byte fallback, and two user-defined symbols. The ids file holds, for each text of
fixtures/tokenize/sp-bpe.texts.jsonl, `SentencePieceProcessor.encode(text)`.
"""
import json
import os
import tempfile

import sentencepiece as spm

root = os.path.join(os.path.dirname(__file__), "..", "..")
fx = os.path.join(root, "fixtures")
lines = []
for f, n in [("sample/en.jsonl", 60), ("normalize/cjk.jsonl", 40)]:
    for line in open(os.path.join(fx, f), encoding="utf-8").readlines()[:n]:
        lines.extend(x for x in json.loads(line)["text"].split("\n") if x.strip())
with tempfile.TemporaryDirectory() as d:
    open(f"{d}/train.txt", "w", encoding="utf-8").write("\n".join(lines) + "\n")
    spm.SentencePieceTrainer.train(input=f"{d}/train.txt", model_prefix=f"{d}/m", model_type="bpe", vocab_size=1200,
                                   hard_vocab_limit=False, character_coverage=0.98, byte_fallback=True,
                                   normalization_rule_name="identity", user_defined_symbols=["<sym>", "2024"],
                                   num_threads=1, minloglevel=2)
    model = open(f"{d}/m.model", "rb").read()
open(os.path.join(fx, "tokenize/sp-bpe.model"), "wb").write(model)
sp = spm.SentencePieceProcessor(model_proto=model)
texts = [json.loads(l)["text"] for l in open(os.path.join(fx, "tokenize/sp-bpe.texts.jsonl"), encoding="utf-8")]
with open(os.path.join(fx, "tokenize/sp-bpe.ids.jsonl"), "w") as out:
    for t in texts:
        out.write(json.dumps({"ids": sp.encode(t)}) + "\n")
print(f"sp-bpe.model: {len(model)} bytes, {sp.get_piece_size()} pieces; {len(texts)} texts encoded")
