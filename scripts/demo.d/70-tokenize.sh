#!/usr/bin/env bash
# Demo: tokenize the normalized sample with GPT-2's ranks into token shards, verify them, decode one
# document back, and export Megatron's .bin/.idx and datatrove's .ds files.
set -euo pipefail
in="$DEMO_OUT/normalized"
[ -d "$in" ] || in=fixtures/sample
echo "== tokenize: $in -> $DEMO_OUT/shards (GPT-2 ranks, uint16, EOS after each document)"
"$LLMDATA_BIN" tokenize "$in" --tiktoken fixtures/tokenize/gpt2.tiktoken --pattern gpt2 -o "$DEMO_OUT/shards" \
  --overwrite --stats "$DEMO_OUT/tokenize.stats.json"
"$LLMDATA_BIN" shards verify "$DEMO_OUT/shards" | sed 's/^/   /'
echo "   document 0 decoded back, first 120 bytes:"
"$LLMDATA_BIN" shards decode "$DEMO_OUT/shards" --doc 0 | head -c 120 | sed 's/^/     /'; echo
"$LLMDATA_BIN" shards export-megatron "$DEMO_OUT/shards" -o "$DEMO_OUT/megatron/sample" | sed 's/^/   /'
"$LLMDATA_BIN" shards export-datatrove "$DEMO_OUT/shards" -o "$DEMO_OUT/datatrove" --overwrite | sed 's/^/   /'
