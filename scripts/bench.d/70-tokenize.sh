#!/usr/bin/env bash
# tokenize vs tiktoken on heldout.jsonl (GPT-2 ranks), one thread each; then --jobs 2 and the cost of
# writing shards. See scripts/bench_tokenize.py.
set -euo pipefail
source scripts/lib.sh
ensure_en_corpus
ensure_venv
"$PY" scripts/bench_tokenize.py "$LLMDATA_BIN" fixtures/tokenize/gpt2.tiktoken "$EN/heldout.jsonl"
