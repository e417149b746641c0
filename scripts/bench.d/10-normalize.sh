#!/usr/bin/env bash
# normalize vs the Python reference (json.loads + unicodedata.normalize('NFKC') + json.dumps, one
# process) on (a) en100m.jsonl and (b) a 24 MB Chinese/Japanese JSONL built from Debian manuals.
# Best of 3 runs each, both writing to /dev/null. Prints MB/s and the ratio.
set -euo pipefail
source scripts/lib.sh
ensure_en_corpus
ensure_langid_data
CJK=$DATA_DIR/cjk24m.jsonl
[ -s "$CJK" ] || python3 scripts/build-cjk-corpus.py "$LANGID_DATA" "$CJK"

best() {  # best wall seconds of 3 runs of "$@" < input
  local input=$1; shift
  local b=""
  for _ in 1 2 3; do
    local s=$(date +%s.%N)
    "$@" < "$input" > /dev/null
    local e=$(date +%s.%N)
    local t=$(echo "$e - $s" | bc -l)
    if [ -z "$b" ] || (( $(echo "$t < $b" | bc -l) )); then b=$t; fi
  done
  echo "$b"
}

printf "%-14s %10s %12s %12s %8s\n" input MB "python MB/s" "llmdata MB/s" ratio
for f in "$EN/en100m.jsonl" "$CJK"; do
  mb=$(echo "$(stat -c %s "$f") / 1000000" | bc -l)
  tp=$(best "$f" python3 scripts/normalize_reference.py NFKC)
  tl=$(best "$f" "$LLMDATA_BIN" normalize --quiet)
  printf "%-14s %10.1f %12.1f %12.1f %7.1fx\n" "$(basename "$f")" "$mb" "$(echo "$mb/$tp" | bc -l)" "$(echo "$mb/$tl" | bc -l)" "$(echo "$tp/$tl" | bc -l)"
done
t1=$(best "$EN/en100m.jsonl" "$LLMDATA_BIN" normalize --quiet --jobs 1)
mb=$(echo "$(stat -c %s "$EN/en100m.jsonl") / 1000000" | bc -l)
printf "en100m.jsonl with --jobs 1: %.1f MB/s\n" "$(echo "$mb/$t1" | bc -l)"
for f in "$EN/en10m.jsonl" "$EN/en100m.jsonl"; do
  /usr/bin/time -f "%M" -o "$DATA_DIR/.rss" "$LLMDATA_BIN" normalize --quiet "$f" > /dev/null
  printf "peak RSS on %s: %d MB\n" "$(basename "$f")" "$(( $(cat "$DATA_DIR/.rss") / 1024 ))"
done
