#!/usr/bin/env bash
# Regenerates the HF tokenizers reference files in fixtures/bpe/hf/ that the Swift tests compare
# `llmdata bpe train` with (byte for byte). Needs a venv with tokenizers (scripts/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
ensure_venv
IN="fixtures/sample/en.jsonl fixtures/bpe/multilingual.jsonl"
mkdir -p fixtures/bpe/hf
$PY scripts/bpe/hf_train.py --pattern cl100k --vocab-size 1000 --special '<|endoftext|>' --special '<|pad|>' -o fixtures/bpe/hf/cl100k-1000-special.json $IN
$PY scripts/bpe/hf_train.py --pattern gpt2 --vocab-size 700 -o fixtures/bpe/hf/gpt2-700.json $IN
$PY scripts/bpe/hf_train.py --pattern o200k --vocab-size 900 --min-frequency 3 --special '<s>' -o fixtures/bpe/hf/o200k-900-min3.json $IN
"$PY" -c "import tokenizers; print('tokenizers', tokenizers.__version__)" > fixtures/bpe/hf/VERSION
