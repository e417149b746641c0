#!/usr/bin/env bash
# Demo: every filter rule set over the normalized English sample, then the spam rules cleaning the
# scraped Chinese pages (navigation lines and code-listing numbers removed).
set -euo pipefail
in="$DEMO_OUT/normalized/en.jsonl.zst"
[ -f "$in" ] || in=fixtures/sample/en.jsonl
"$LLMDATA_BIN" filter "$in" -o "$DEMO_OUT/filtered.jsonl" --rejected "$DEMO_OUT/filter.rejected.jsonl" \
  --stats "$DEMO_OUT/filter.stats.json" --quiet
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print('== filter (English sample): %d in, %d kept; dropped: %s' % (s['records_in'], s['records_out'], s['dropped']))" "$DEMO_OUT/filter.stats.json"
"$LLMDATA_BIN" filter fixtures/sample/zh-web.jsonl --spam-lines -o "$DEMO_OUT/zh-filtered.jsonl" \
  --rejected "$DEMO_OUT/zh-filter.rejected.jsonl" --stats "$DEMO_OUT/zh-filter.stats.json" --quiet
python3 - "$DEMO_OUT/zh-filter.stats.json" fixtures/sample/zh-web.jsonl "$DEMO_OUT/zh-filtered.jsonl" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print('== filter --spam-lines (scraped Chinese pages): %d in, %d kept; dropped: %s' % (s['records_in'], s['records_out'], s['dropped']))
before = {json.loads(l)['id']: json.loads(l)['text'] for l in open(sys.argv[2], encoding='utf-8')}
for l in open(sys.argv[3], encoding='utf-8'):
    r = json.loads(l)
    print('   %s: %d -> %d lines; starts: %s' % (r['id'], before[r['id']].count('\n') + 1, r['text'].count('\n') + 1, r['text'][:40].replace('\n', ' / ')))
PY
