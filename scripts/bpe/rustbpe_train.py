"""Trains rustbpe (the peer) on the same records: rustbpe_train.py --pattern P --vocab-size N INPUT..."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from records import records  # noqa: E402
from patterns import TIKTOKEN_PATTERNS  # noqa: E402
import rustbpe  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--pattern", default="cl100k")
ap.add_argument("--vocab-size", type=int, required=True)
ap.add_argument("inputs", nargs="+")
a = ap.parse_args()
tok = rustbpe.Tokenizer()
tok.train_from_iterator(records(a.inputs), a.vocab_size, pattern=TIKTOKEN_PATTERNS[a.pattern])
print(f"rustbpe: vocab {tok.vocab_size}", file=sys.stderr)
