#!/usr/bin/env bash
# Demo: normalize the sample corpus (English docs, scraped Chinese articles, 30-language segments).
set -euo pipefail
echo "== normalize: fixtures/sample/ -> $DEMO_OUT/normalized/ (NFKC, cleaning, URLs stripped, CJK punctuation kept)"
"$LLMDATA_BIN" normalize fixtures/sample -o "$DEMO_OUT/normalized/" --keep-fullwidth-punct --strip-urls \
  --stats "$DEMO_OUT/normalize.stats.json" --quiet --overwrite
python3 - "$DEMO_OUT/normalize.stats.json" <<'PY' 2>/dev/null || cat "$DEMO_OUT/normalize.stats.json"
import json, sys
s = json.load(open(sys.argv[1]))
c = s["counters"]
print(f"   {s['records_in']} records in, {s['records_out']} out, {s['records_rejected']} rejected; "
      f"{c.get('records_changed', 0)} changed, {c.get('records_normalized', 0)} changed by NFKC, "
      f"{c.get('ascii_fast_path', 0)} took the ASCII fast path, {c.get('urls_removed', 0)} URLs removed; "
      f"{s['files_processed']} files -> {s['bytes_out']} bytes")
PY
ls "$DEMO_OUT/normalized/"
