#!/usr/bin/env bash
# tokenize with a SentencePiece BPE model (Mistral v3's, as mistral-common ships it) vs
# sentencepiece with num_threads=1, on English (heldout.jsonl, 10 MB) and Chinese/Japanese/Korean
# text (fixtures/normalize/cjk.jsonl and fixtures/sample/zh-web.jsonl: 0.6 MB once, and the same
# repeated 8 times, where llmdata's piece cache knows the short pieces after the first copy; the
# long unspaced Chinese/Japanese pieces are never cached). See scripts/bench_sentencepiece.py.
set -euo pipefail
source scripts/lib.sh
ensure_en_corpus
EXTRA_PIP="sentencepiece" ensure_venv
TOK=$(bash scripts/fetch-tokenizers.sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat fixtures/normalize/cjk.jsonl fixtures/sample/zh-web.jsonl > "$work/cjk.jsonl"
for i in 1 2 3 4 5 6 7 8; do cat "$work/cjk.jsonl"; done > "$work/cjk-x8.jsonl"
for v in v3 v1; do
  "$PY" scripts/bench_sentencepiece.py "$LLMDATA_BIN" "$TOK/mistral-$v.model" "en=$EN/heldout.jsonl" "cjk=$work/cjk.jsonl" "cjk-x8=$work/cjk-x8.jsonl"
done
