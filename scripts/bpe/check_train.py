"""Trains llmdata and HF tokenizers' BpeTrainer on the same input and diffs vocab and merges.

usage: check_train.py LLMDATA_BIN (--pattern P | --split-regex R ...) --vocab-size N [--min-frequency F]
                      [--max-token-length L] [--special T ...] [--encode FILE] [--time] INPUT...

Exits 1 unless vocab (tokens and ids), merges and the whole tokenizer.json are identical. With
--encode, our tokenizer.json loaded by tokenizers.Tokenizer.from_file must encode FILE's records
exactly as the HF-trained tokenizer does, and the --tiktoken ranks must load in tiktoken
(load_tiktoken_bpe + Encoding with the pat_str and special_tokens of the X.tiktoken.json sidecar
that bpe train writes), round-trip, and give HF's ids on every record (with one split regex).
--split-regex (repeatable) trains with HF's Sequence of Split(Regex, isolated) + ByteLevel.
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
    ap.add_argument("--max-token-length", type=int)
    ap.add_argument("--split-regex", action="append", default=[])
    ap.add_argument("--special", action="append", default=[])
    ap.add_argument("--encode")
    ap.add_argument("--time", action="store_true")
    ap.add_argument("inputs", nargs="+")
    a = ap.parse_args()
    split = f"{len(a.split_regex)} split regex{'es' if len(a.split_regex) > 1 else ''}" if a.split_regex else a.pattern
    label = f"{split} vocab {a.vocab_size}" + (f" min-freq {a.min_frequency}" if a.min_frequency else "") + \
        (f" max-token-length {a.max_token_length}" if a.max_token_length else "") + \
        (f" specials {len(a.special)}" if a.special else "") + f" on {' '.join(os.path.basename(i) for i in a.inputs)}"
    with tempfile.TemporaryDirectory() as d:
        ours, tt = os.path.join(d, "ours.json"), os.path.join(d, "ours.tiktoken")
        use_tt = len(a.split_regex) <= 1
        cmd = [a.bin, "bpe", "train", *a.inputs, "--vocab-size", str(a.vocab_size),
               "--min-frequency", str(a.min_frequency), "-o", ours, "--quiet"]
        cmd += [x for r in a.split_regex for x in ("--split-regex", r)] or ["--pattern", a.pattern]
        if use_tt:
            cmd += ["--tiktoken", tt]
        if a.max_token_length:
            cmd += ["--max-token-length", str(a.max_token_length)]
        for s in a.special:
            cmd += ["--special", s]
        t0 = time.time()
        subprocess.run(cmd, check=True)
        t_ours = time.time() - t0

        hf = build(a.pattern, a.split_regex)
        trainer = trainers.BpeTrainer(vocab_size=a.vocab_size, min_frequency=a.min_frequency, special_tokens=a.special,
                                      show_progress=False, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                      max_token_length=a.max_token_length)
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
            extra = (f"; from_file encodes {len(texts)} records of {os.path.basename(a.encode)} identically, "
                     f"{nbytes / max(ntok, 1):.3f} bytes/token")
            if use_tt:
                import tiktoken
                from tiktoken.load import load_tiktoken_bpe
                side = json.load(open(tt + ".json", encoding="utf-8"))
                # HF keeps the text between a Split's matches; tiktoken's findall would drop it
                want_pat = f"(?:{a.split_regex[0]})|(?:(?!(?:{a.split_regex[0]}))(?s:.))+" if a.split_regex else TIKTOKEN_PATTERNS[a.pattern]
                want_side = {"pattern": "custom" if a.split_regex else a.pattern, "pat_str": want_pat,
                             "special_tokens": {s: i for i, s in enumerate(dict.fromkeys(a.special))}}
                if side != want_side:
                    ok = False
                    print(f"  sidecar {side} is not {want_side}")
                ranks = load_tiktoken_bpe(tt)
                enc = tiktoken.Encoding(name=side["pattern"], pat_str=side["pat_str"], mergeable_ranks=ranks,
                                        special_tokens=side["special_tokens"])
                tk = [enc.encode_ordinary(t) for t in texts]
                if any(enc.decode(x) != t for x, t in zip(tk, texts)):
                    ok = False
                    print("  tiktoken does not round-trip")
                agree = sum(x == y for x, y in zip(tk, enc_hf))
                if agree != len(texts):
                    ok = False
                    print(f"  tiktoken (sidecar's pat_str and special_tokens) differs from HF on {len(texts) - agree} records")
                # special tokens in the text: tiktoken with allowed_special="all" and HF must agree
                if a.special:
                    st = [f"{a.special[0]}x {t[:40]}{a.special[-1]}" for t in texts[:20]]
                    tks = [enc.encode(t, allowed_special="all") for t in st]
                    hfs = [e.ids for e in loaded.encode_batch(st, add_special_tokens=False)]
                    if tks != hfs:
                        ok = False
                        print("  tiktoken and HF differ on text with the special tokens")
                extra += (f"; tiktoken loads {len(ranks)} ranks with the sidecar, round-trips, "
                          f"ids equal HF's on {agree}/{len(texts)} records")
        timing = f" (llmdata {t_ours:.2f}s, HF {t_hf:.2f}s)" if a.time else ""
        print(f"bpe train {label}: vocab {len(mv)}, merges {len(mm)}: "
              f"{'IDENTICAL vocab, merges and tokenizer.json' if ok else 'MISMATCH'}{extra}{timing}")
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
