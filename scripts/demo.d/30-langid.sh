#!/usr/bin/env bash
# Demo: identify the language of every normalized sample record; print counts per language.
set -euo pipefail
in="$DEMO_OUT/normalized"
[ -d "$in" ] || in=fixtures/sample
"$LLMDATA_BIN" langid "$in" -o "$DEMO_OUT/langid.jsonl" --stats "$DEMO_OUT/langid.stats.json" --quiet
python3 -c "
import json,sys
s=json.load(open(sys.argv[1]))
c={k[5:]:v for k,v in s['counters'].items() if k.startswith('lang_')}
print('== langid: %d records; languages: %s' % (s['records_in'], ', '.join('%s %d' % kv for kv in sorted(c.items(), key=lambda x:-x[1]))))
" "$DEMO_OUT/langid.stats.json"
