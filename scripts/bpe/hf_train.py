"""Trains HF tokenizers' BpeTrainer the way `llmdata bpe train` does (the reference).

usage: hf_train.py --pattern gpt2|cl100k|o200k --vocab-size N [--min-frequency F]
                   [--special TOK ...] -o tokenizer.json INPUT...
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from records import records  # noqa: E402
from patterns import PATTERNS  # noqa: E402
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402


def build(pattern, split_regexes=()):
    tok = Tokenizer(models.BPE())
    if split_regexes:
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Split(Regex(r), behavior="isolated", invert=False) for r in split_regexes]
            + [pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    elif pattern == "gpt2":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(PATTERNS[pattern]), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
    tok.decoder = decoders.ByteLevel()
    return tok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pattern", default="cl100k")
    ap.add_argument("--vocab-size", type=int, required=True)
    ap.add_argument("--min-frequency", type=int, default=0)
    ap.add_argument("--special", action="append", default=[])
    ap.add_argument("-o", required=True)
    ap.add_argument("inputs", nargs="+")
    a = ap.parse_args()
    tok = build(a.pattern)
    trainer = trainers.BpeTrainer(vocab_size=a.vocab_size, min_frequency=a.min_frequency,
                                  special_tokens=a.special, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(records(a.inputs), trainer=trainer)
    tok.save(a.o)


if __name__ == "__main__":
    main()
