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
# --tokenizer tells the file's kind from its contents and says what it read: the tokenizer.json and
# the tiktoken ranks (with its X.tiktoken.json sidecar) that bpe train wrote, and a small
# SentencePiece BPE model; the same records through each, with the token counts
echo "== tokenize: the same records with other tokenizer files (--tokenizer reads the kind from the contents)"
for t in "$DEMO_OUT/bpe/tokenizer.json" "$DEMO_OUT/bpe/tokenizer.tiktoken" fixtures/tokenize/sp-bpe.model; do
  [ -e "$t" ] || continue
  name=$(basename "$t"); name=${name//./-}
  "$LLMDATA_BIN" tokenize "$in" --tokenizer "$t" -o "$DEMO_OUT/shards-$name" --overwrite 2>&1 >/dev/null \
    | sed -n 's/^llmdata tokenize: tokenizer: /   /p'
  "$LLMDATA_BIN" shards verify "$DEMO_OUT/shards-$name" | sed 's/^/     /'
done
same=identical
for f in "$DEMO_OUT"/shards-tokenizer-json/shard-*; do
  cmp -s "$f" "$DEMO_OUT/shards-tokenizer-tiktoken/$(basename "$f")" || same=DIFFERENT
done
echo "   the trained tokenizer.json and its tiktoken ranks (+ sidecar) give $same shards"
