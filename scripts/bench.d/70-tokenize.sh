#!/usr/bin/env bash
# tokenize, one thread, same run: llmdata vs fastokens (first pass) vs tiktoken on cl100k_base, and
# vs fastokens vs HF tokenizers on DeepSeek-V3's tokenizer.json; encode throughput (MB/s of text,
# llmdata's whole command minus its one-record fixed cost), ratios and tokenizer load times, on
# heldout.jsonl with the real files from their pinned wheels. See scripts/bench_tokenize.py.
set -euo pipefail
source scripts/lib.sh
ensure_en_corpus
EXTRA_PIP="fastokens" ensure_venv
TOKDIR=$(bash scripts/fetch-tokenizers.sh)
"$PY" scripts/bench_tokenize.py "$LLMDATA_BIN" "$TOKDIR" "$EN/heldout.jsonl" "${BENCH_ROUNDS:-5}"
