#!/usr/bin/env bash
# Demo: langid over the normalize output (fixtures/sample/ normalized by 10-normalize.sh).
set -euo pipefail
IN=$DEMO_OUT/normalized/
[ -d "$IN" ] || IN=fixtures/sample
echo "== langid: $IN -> $DEMO_OUT/langid.jsonl (--top-k 2 --drop-low-score: score < 0.65 dropped -> langid.rejected.jsonl)"
"$LLMDATA_BIN" langid "$IN" -o "$DEMO_OUT/langid.jsonl" --top-k 2 --drop-low-score --rejected "$DEMO_OUT/langid.rejected.jsonl" \
  --stats "$DEMO_OUT/langid.stats.json" --quiet
python3 - "$DEMO_OUT/langid.stats.json" "$DEMO_OUT/langid.jsonl" <<'PY' 2>/dev/null || cat "$DEMO_OUT/langid.stats.json"
import json, sys
s = json.load(open(sys.argv[1]))
langs = sorted(((k[9:], v) for k, v in s["counters"].items() if k.startswith("language.")), key=lambda x: -x[1])
print(f"   {s['records_in']} records in, {s['records_out']} kept, {s['records_dropped']} dropped (score < 0.65 or no letters)")
print("   languages: " + ", ".join(f"{l} {n}" for l, n in langs))
r = json.loads(open(sys.argv[2]).readline())
print("   first record: " + json.dumps(r["metadata"], ensure_ascii=False)[:160])
PY
