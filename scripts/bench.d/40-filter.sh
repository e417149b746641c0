#!/usr/bin/env bash
# filter: per-rule keep/drop agreement with datatrove (GopherRepetition, GopherQuality, C4,
# FineWeb at their default thresholds) on en10m.jsonl and heldout.jsonl, and on a Chinese sample
# for the rules datatrove supports there; throughput against datatrove's pipeline of the same four
# rule sets; MB/s of the four rule sets with both cores on en100m.jsonl (bar: 100 MB/s).
set -euo pipefail
source scripts/lib.sh
ensure_en_corpus
EXTRA_PIP="datatrove spacy jieba" ensure_venv
for f in en10m heldout; do
  "$PY" scripts/filter_agreement.py "$LLMDATA_BIN" "$EN/$f.jsonl" || true
done
if [ -s "$DATA_DIR/cjk24m.jsonl" ]; then
  # every third Chinese document of the CJK corpus (zh-cn and zh-tw manuals, langid training text)
  "$PY" - "$DATA_DIR/cjk24m.jsonl" "$DATA_DIR/zh-sample.jsonl" <<'PY'
import json, sys
rows = [l for l in open(sys.argv[1], encoding="utf-8") if "-zh" in json.loads(l)["id"]][::3]
open(sys.argv[2], "w", encoding="utf-8").writelines(rows)
PY
  "$PY" scripts/filter_agreement.py "$LLMDATA_BIN" "$DATA_DIR/zh-sample.jsonl" --language zh || true
  # datatrove's zh words are clause-long (docs/filters.md); its line-based FineWeb checks compare exactly
  "$PY" scripts/filter_agreement.py "$LLMDATA_BIN" "$DATA_DIR/zh-sample.jsonl" --language zh --rules fineweb --line-checks-only || true
fi
"$PY" scripts/filter_agreement.py "$LLMDATA_BIN" fixtures/sample/zh-web.jsonl --language zh || true
"$PY" scripts/bench_filter.py "$LLMDATA_BIN" "$EN/en10m.jsonl"
best=""
for _ in 1 2 3; do
  s=$(date +%s.%N)
  "$LLMDATA_BIN" filter "$EN/en100m.jsonl" --quiet --jobs 2 --language en --rules gopher_repetition,gopher_quality,c4,fineweb -o /dev/null
  e=$(date +%s.%N); t=$(echo "$e - $s" | bc -l)
  if [ -z "$best" ] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
done
printf "filter (four rule sets, --jobs 2) on en100m.jsonl: %.1f MB/s (bar 100)\n" "$(echo "$(stat -c %s "$EN/en100m.jsonl") / 1000000 / $best" | bc -l)"
best=""
for _ in 1 2 3; do
  s=$(date +%s.%N)
  "$LLMDATA_BIN" filter "$EN/en100m.jsonl" --quiet --jobs 2 -o /dev/null
  e=$(date +%s.%N); t=$(echo "$e - $s" | bc -l)
  if [ -z "$best" ] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
done
printf "filter (all six rule sets, language by script, --jobs 2) on en100m.jsonl: %.1f MB/s\n" "$(echo "$(stat -c %s "$EN/en100m.jsonl") / 1000000 / $best" | bc -l)"
