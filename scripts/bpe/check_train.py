"""Trains llmdata and HF tokenizers' BpeTrainer on the same input and diffs vocab and merges.

usage: check_train.py LLMDATA_BIN --pattern P --vocab-size N [--min-frequency F] [--special T ...]
                      [--encode FILE] [--time] INPUT...

Exits 1 unless vocab (tokens and ids), merges and the whole tokenizer.json are identical. With
--encode, our tokenizer.json loaded by tokenizers.Tokenizer.from_file must encode FILE's records
exactly as the HF-trained tokenizer does, and the --tiktoken ranks must load in tiktoken
(load_tiktoken_bpe + Encoding) and round-trip; agreement of tiktoken's ids with HF's is reported.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from hf_train import build  # noqa: E402
from patterns import TIKTOKEN_PATTERNS  # noqa: E402
from records import records  # noqa: E402
from tokenizers import Tokenizer, pre_tokenizers, trainers  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("--pattern", default="cl100k")
    ap.add_argument("--vocab-size", type=int, required=True)
    ap.add_argument("--min-frequency", type=int, default=0)
    ap.add_argument("--special", action="append", default=[])
    ap.add_argument("--encode")
    ap.add_argument("--time", action="store_true")
    ap.add_argument("inputs", nargs="+")
    a = ap.parse_args()
    label = f"{a.pattern} vocab {a.vocab_size}" + (f" min-freq {a.min_frequency}" if a.min_frequency else "") + \
        (f" specials {len(a.special)}" if a.special else "") + f" on {' '.join(os.path.basename(i) for i in a.inputs)}"
    with tempfile.TemporaryDirectory() as d:
        ours, tt = os.path.join(d, "ours.json"), os.path.join(d, "ours.tiktoken")
        cmd = [a.bin, "bpe", "train", *a.inputs, "--pattern", a.pattern, "--vocab-size", str(a.vocab_size),
               "--min-frequency", str(a.min_frequency), "-o", ours, "--tiktoken", tt, "--quiet"]
        for s in a.special:
            cmd += ["--special", s]
        t0 = time.time()
        subprocess.run(cmd, check=True)
        t_ours = time.time() - t0

        hf = build(a.pattern)
        trainer = trainers.BpeTrainer(vocab_size=a.vocab_size, min_frequency=a.min_frequency, special_tokens=a.special,
                                      show_progress=False, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        t0 = time.time()
        hf.train_from_iterator(records(a.inputs), trainer=trainer)
        t_hf = time.time() - t0
        theirs = os.path.join(d, "hf.json")
        hf.save(theirs)

        mine_j, hf_j = json.load(open(ours, encoding="utf-8")), json.load(open(theirs, encoding="utf-8"))
        mv, hv = mine_j["model"]["vocab"], hf_j["model"]["vocab"]
        mm, hm = mine_j["model"]["merges"], hf_j["model"]["merges"]
        ok = True
        if mv != hv:
            ok = False
            diff = [k for k in set(mv) | set(hv) if mv.get(k) != hv.get(k)]
            print(f"  vocab differs: {len(diff)} tokens, e.g. {sorted(diff, key=lambda k: min(mv.get(k, 1e9), hv.get(k, 1e9)))[:5]}")
        if mm != hm:
            ok = False
            i = next((i for i, (x, y) in enumerate(zip(mm, hm)) if x != y), min(len(mm), len(hm)))
            print(f"  merges differ from rank {i}: ours {mm[i:i+3]} hf {hm[i:i+3]} (ours {len(mm)}, hf {len(hm)})")
        same_bytes = open(ours, "rb").read() == open(theirs, "rb").read()
        if not same_bytes:
            ok = False
            print("  tokenizer.json bytes differ")
        extra = ""
        if a.encode:
            loaded = Tokenizer.from_file(ours)
            texts = list(records([a.encode]))
            enc_ours = [e.ids for e in loaded.encode_batch(texts, add_special_tokens=False)]
            enc_hf = [e.ids for e in hf.encode_batch(texts, add_special_tokens=False)]
            if enc_ours != enc_hf:
                ok = False
                print("  from_file(ours) encodes differently from the HF-trained tokenizer")
            ntok = sum(len(x) for x in enc_ours)
            nbytes = sum(len(t.encode("utf-8")) for t in texts)
            import tiktoken
            from tiktoken.load import load_tiktoken_bpe
            ranks = load_tiktoken_bpe(tt)
            enc = tiktoken.Encoding(name="ours", pat_str=TIKTOKEN_PATTERNS[a.pattern], mergeable_ranks=ranks,
                                    special_tokens={s: i for i, s in enumerate(dict.fromkeys(a.special))})
            tk = [enc.encode_ordinary(t) for t in texts]
            if any(enc.decode(x) != t for x, t in zip(tk, texts)):
                ok = False
                print("  tiktoken does not round-trip")
            agree = sum(x == y for x, y in zip(tk, enc_hf))
            extra = (f"; from_file encodes {len(texts)} records of {os.path.basename(a.encode)} identically, "
                     f"{nbytes / max(ntok, 1):.3f} bytes/token; tiktoken loads {len(ranks)} ranks, round-trips, "
                     f"ids equal HF's on {agree}/{len(texts)} records")
        timing = f" (llmdata {t_ours:.2f}s, HF {t_hf:.2f}s)" if a.time else ""
        print(f"bpe train {label}: vocab {len(mv)}, merges {len(mm)}: "
              f"{'IDENTICAL vocab, merges and tokenizer.json' if ok else 'MISMATCH'}{extra}{timing}")
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
