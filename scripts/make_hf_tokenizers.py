#!/usr/bin/env python3
"""Builds GPT-2-, Llama-3- and Qwen2-style tokenizer.json files from GPT-2's real ranks
(gpt2.tiktoken) with HF `tokenizers` itself, so llmdata's loader is tested on files HF writes:

  gpt2-style.json    ByteLevel pre-tokenizer (use_regex) + ByteLevel decoder, merges as [a, b]
  llama3-style.json  Split(cl100k-like regex, Isolated) + ByteLevel(use_regex=False), ignore_merges,
                     <|begin_of_text|> and <|end_of_text|> after the vocabulary, and Llama 3's
                     TemplateProcessing post-processor (<|begin_of_text|> before the text)
  qwen2-style.json   NFC normalizer + Split(Qwen2's regex: single digits) + ByteLevel(use_regex=False),
                     and Qwen3's <think> and </think> as added tokens that are not special (HF
                     matches those in every text)

Merges are recovered from the ranks the usual way: each token's two parts are what BPE
produces when only lower ranks may merge.

Usage: make_hf_tokenizers.py gpt2.tiktoken OUTDIR
"""
import os
import sys

from tiktoken.load import load_tiktoken_bpe
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def parts(ranks, token, max_rank):
    p = [bytes([b]) for b in token]
    while True:
        best = None
        for i in range(len(p) - 1):
            r = ranks.get(p[i] + p[i + 1])
            if r is not None and r < max_rank and (best is None or r < best[0]):
                best = (r, i)
        if best is None:
            return p
        i = best[1]
        p = p[:i] + [p[i] + p[i + 1]] + p[i + 2:]


CL100K_LIKE = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
# Qwen2's own: the same with single digits
QWEN2 = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""


def main():
    ranks = load_tiktoken_bpe(sys.argv[1])
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    b2u = bytes_to_unicode()
    enc = lambda b: "".join(b2u[x] for x in b)  # noqa: E731
    vocab = {enc(t): r for t, r in ranks.items()}
    merges = []
    for t, r in sorted(ranks.items(), key=lambda x: x[1]):
        if len(t) < 2:
            continue
        p = parts(ranks, t, r)
        assert len(p) == 2, (t, p)
        merges.append((enc(p[0]), enc(p[1])))
    eot = len(ranks)

    def build(ignore_merges):
        vocab_with_eot = dict(vocab)
        return models.BPE(vocab=vocab_with_eot, merges=merges, ignore_merges=ignore_merges)

    t = Tokenizer(build(False))
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    t.decoder = decoders.ByteLevel()
    t.add_special_tokens(["<|endoftext|>"])
    assert t.token_to_id("<|endoftext|>") == eot
    t.save(os.path.join(out, "gpt2-style.json"))

    t = Tokenizer(build(True))
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(CL100K_LIKE), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    t.decoder = decoders.ByteLevel()
    t.add_special_tokens(["<|begin_of_text|>", "<|end_of_text|>"])
    bot = t.token_to_id("<|begin_of_text|>")
    t.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B", special_tokens=[("<|begin_of_text|>", bot)])
    t.save(os.path.join(out, "llama3-style.json"))

    t = Tokenizer(build(False))
    t.normalizer = normalizers.NFC()
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    t.decoder = decoders.ByteLevel()
    t.add_special_tokens(["<|endoftext|>"])
    t.add_tokens([AddedToken("<think>", special=False, normalized=False), AddedToken("</think>", special=False, normalized=False)])
    t.save(os.path.join(out, "qwen2-style.json"))
    print(f"wrote gpt2-style.json, llama3-style.json, qwen2-style.json to {out} ({len(vocab)} tokens, {len(merges)} merges)")


if __name__ == "__main__":
    main()
