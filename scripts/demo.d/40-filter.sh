#!/usr/bin/env bash
# Demo: the Gopher quality and repetition rules over the normalized English sample.
set -euo pipefail
in="$DEMO_OUT/normalized/en.jsonl.zst"
[ -f "$in" ] || in=fixtures/sample/en.jsonl
"$LLMDATA_BIN" filter "$in" -o "$DEMO_OUT/filtered.jsonl" --rejected "$DEMO_OUT/filter.rejected.jsonl" \
  --stats "$DEMO_OUT/filter.stats.json" --quiet
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print('== filter (English sample): %d in, %d kept; dropped: %s' % (s['records_in'], s['records_out'], s['dropped']))" "$DEMO_OUT/filter.stats.json"
