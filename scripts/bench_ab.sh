#!/usr/bin/env bash
# A/B of two llmdata binaries (e.g. a commit before and after a change to the runner): best of N
# interleaved wall times per subcommand on en100m.jsonl (tokenize on heldout.jsonl).
# Usage: scripts/bench_ab.sh OLD_BIN NEW_BIN [N]
set -euo pipefail
OLD=$1; NEW=$2; N=${3:-5}
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_en_corpus
G=$PWD/fixtures/tokenize/gpt2.tiktoken
cmds=(
  "normalize $EN/en100m.jsonl --quiet"
  "langid $EN/en100m.jsonl --quiet"
  "filter $EN/en100m.jsonl --quiet"
  "dedup --mode exact $EN/en100m.jsonl --quiet"
  "tokenize $EN/heldout.jsonl --tiktoken $G --pattern gpt2 -o $DATA_DIR/ab-shards --overwrite --quiet"
)
t() { local s=$(date +%s.%N); "$@" > /dev/null; local e=$(date +%s.%N); echo "$e - $s" | bc -l; }
for c in "${cmds[@]}"; do
  bo=""; bn=""
  for i in $(seq $N); do
    a=$(t $OLD $c); b=$(t $NEW $c)
    if [ -z "$bo" ] || (( $(echo "$a < $bo" | bc -l) )); then bo=$a; fi
    if [ -z "$bn" ] || (( $(echo "$b < $bn" | bc -l) )); then bn=$b; fi
  done
  printf "%-10s old %.3f s  new %.3f s  new/old %.3f\n" "${c%% *}" $bo $bn $(echo "$bn / $bo" | bc -l)
done
