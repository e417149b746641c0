#!/usr/bin/env bash
# tokenize with Mistral's Tekken files as mistral-common 1.13.1 ships them (tekken_240718.json,
# tekken_240911.json; scripts/fetch-tokenizers.sh) against mistral-common's
# Tekkenizer.from_file(FILE).encode(text, bos=False, eos=False), passed as --tokenizer FILE (the kind
# is detected) and as a model directory holding tekken.json. Special-token strings in the text
# ([INST], <s>, </s>) are text for Tekkenizer, and for tokenize.
set -euo pipefail
source scripts/lib.sh
EXTRA_PIP="datatrove mistral-common" ensure_venv
T=$(bash scripts/fetch-tokenizers.sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" scripts/tokenize_edge_texts.py "$work/edge.jsonl" "<s>" "</s>" "[INST]" "[/INST]" "<unk>" "[TOOL_CALLS]" "<SPECIAL_999>"
fixtures="fixtures/sample/en.jsonl fixtures/sample/zh-web.jsonl fixtures/sample/multilingual.jsonl fixtures/normalize/multilingual.jsonl fixtures/normalize/cjk.jsonl"
for f in tekken_240718.json tekken_240911.json; do
  echo "-- $f"
  "$PY" scripts/check_tokenize.py "$LLMDATA_BIN" "$work" --tekken "$T/$f" "$work/edge.jsonl" $fixtures
done
echo "-- a model directory with tekken.json"
mkdir -p "$work/mistral-model"
ln -s "$T/tekken_240911.json" "$work/mistral-model/tekken.json"
"$PY" scripts/check_tokenize.py "$LLMDATA_BIN" "$work" --tekken "$work/mistral-model" "$work/edge.jsonl"
