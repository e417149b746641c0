#!/usr/bin/env bash
# Demo: exact and near-duplicate removal over the normalized sample plus a copied and a lightly
# edited document (so there is something to find).
set -euo pipefail
in="$DEMO_OUT/normalized"
[ -d "$in" ] || in=fixtures/sample
mkdir -p "$DEMO_OUT/dedup-in"
"$LLMDATA_BIN" normalize "$in" --quiet -o "$DEMO_OUT/dedup-in/corpus.jsonl"
head -3 "$DEMO_OUT/dedup-in/corpus.jsonl" | sed 's/"id":"/"id":"copy-of-/' >> "$DEMO_OUT/dedup-in/corpus.jsonl"
for mode in exact minhash; do
  "$LLMDATA_BIN" dedup --mode $mode "$DEMO_OUT/dedup-in/corpus.jsonl" -o "$DEMO_OUT/dedup-$mode.jsonl" \
    --rejected "$DEMO_OUT/dedup-$mode.removed.jsonl" --stats "$DEMO_OUT/dedup-$mode.stats.json" --quiet
  python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(f'== dedup --mode $mode: {s[\"records_in\"]} in, {s[\"records_out\"]} kept, removed: {s[\"dropped\"]}')" "$DEMO_OUT/dedup-$mode.stats.json"
done
