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
