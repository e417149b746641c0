#!/usr/bin/env bash
# dedup: near-duplicate quality and MinHash time vs datasketch and rensa (same shingles, 112
# permutations, 14x8 bands, threshold 0.8) on 5,000 en10m documents + variants + licence texts;
# then exact-mode throughput on en100m.jsonl with both cores (exact mode reads its input once).
set -euo pipefail
source scripts/lib.sh
ensure_en_corpus
EXTRA_PIP="datasketch rensa" ensure_venv
work=$DATA_DIR/dedup-bench
mkdir -p "$work"
DEDUP_REPORT_ONLY=1 "$PY" scripts/dedup_quality.py "$LLMDATA_BIN" "$EN/en10m.jsonl" "$work" 5000
for mode in exact; do
  best=""
  for _ in 1 2 3; do
    s=$(date +%s.%N); "$LLMDATA_BIN" dedup --mode $mode "$EN/en100m.jsonl" -o /dev/null --quiet; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l); if [ -z "$best" ] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
  done
  printf "dedup --mode %s on en100m.jsonl (one pass, --jobs 2, best of 3, process start included): %.1f MB/s\n" $mode "$(echo "$(stat -c %s "$EN/en100m.jsonl") / 1000000 / $best" | bc -l)"
done
/usr/bin/time -f "%M" -o "$work/rss" "$LLMDATA_BIN" dedup --mode minhash "$EN/en100m.jsonl" -o /dev/null --quiet
printf "dedup --mode minhash on en100m.jsonl (39,755 docs): peak RSS %d MB\n" $(( $(cat "$work/rss") / 1024 ))
# memory per document at scale: 1,000,000 generated 30-word documents (cached in $DATA_DIR)
synth=$DATA_DIR/synth1m.jsonl
if [ ! -s "$synth" ]; then
  "$PY" - "$synth" <<'PY'
import json, random, sys
random.seed(5)
vocab = ["".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(random.randint(2, 9))) for _ in range(50000)]
with open(sys.argv[1] + ".tmp", "w") as f:
    for i in range(1_000_000):
        f.write(json.dumps({"id": f"d{i}", "text": " ".join(random.choices(vocab, k=30))}) + "\n")
PY
  mv "$synth.tmp" "$synth"
fi
/usr/bin/time -f "%M" -o "$work/rss" "$LLMDATA_BIN" dedup --mode minhash "$synth" -o /dev/null --quiet --stats "$work/synth-stats.json"
rss_kb=$(cat "$work/rss")
decide=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['decide_seconds'])" "$work/synth-stats.json")
printf "dedup --mode minhash on 1,000,000 generated documents (224 MB): peak RSS %d MB (%.0f bytes per document, ~%.1f GB for 10 M), decision pass %.2f s\n" \
  $((rss_kb / 1024)) "$(echo "$rss_kb * 1024 / 1000000" | bc -l)" "$(echo "$rss_kb * 1024 * 10 / 1000000000" | bc -l)" "$decide"
