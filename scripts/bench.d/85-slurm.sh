#!/usr/bin/env bash
# llmdata run on the one-node Slurm cluster (scripts/slurm/up.sh) vs the same recipe run locally,
# on en100m.jsonl split into 20 files: normalize → langid → filter → dedup minhash → tokenize.
#   local   llmdata run RECIPE -o RUNDIR --jobs 2
#   slurm   llmdata run RECIPE -o RUNDIR --executor slurm --tasks 2 --cpus-per-task 1 (two tasks at
#           once on the 2-core node; each step a job array, afterok between them)
# Interleaved, best of 2. Checks that the records and token counts are equal. Then every step's
# tasks are run by hand under /usr/bin/time (the same scripts, SLURM_ARRAY_TASK_ID set) for each
# task's seconds and peak RSS, and seconds per GB of the step's input (docs/scale-out.md).
set -euo pipefail
source scripts/lib.sh
ensure_en_corpus
B=$LLMDATA_BIN
G=$PWD/fixtures/tokenize/gpt2.tiktoken
W=$DATA_DIR/run-bench
mkdir -p "$W"
if [ ! -s "$W/en100m-20/part-19.jsonl" ]; then
  rm -rf "$W/en100m-20"; mkdir -p "$W/en100m-20"
  n=$(wc -l < "$EN/en100m.jsonl")
  split -d -a 2 -l $(( (n + 19) / 20 )) --additional-suffix=.jsonl "$EN/en100m.jsonl" "$W/en100m-20/part-"
fi
cat > "$W/slurm-recipe.yaml" <<YAML
inputs: [en100m-20]
stages:
  - normalize:
  - langid:
  - filter: {rules: [gopher_quality, gopher_repetition, c4, fineweb]}
  - dedup: {mode: minhash}
  - tokenize: {tiktoken: $G, pattern: gpt2}
YAML
# the developer's cluster (make slurm-up) if it is up; else one started and stopped here
started=""
[ -f .build/slurm/pids ] || started=1
eval "$(make -s slurm-up)"
trap '[ -z "$started" ] || make -s slurm-down' EXIT
secs() { local s=$(date +%s.%N); "$@"; local e=$(date +%s.%N); echo "$e - $s" | bc -l; }
run_local() { rm -rf "$W/sl-local"; "$B" run "$W/slurm-recipe.yaml" -o "$W/sl-local" --jobs 2 --quiet; }
run_slurm() { rm -rf "$W/sl-slurm"; "$B" run "$W/slurm-recipe.yaml" -o "$W/sl-slurm" --executor slurm --tasks 2 --poll 0.5 --quiet; }
declare -A best
for round in 1 2; do
  for k in local slurm; do
    t=$(secs run_$k)
    if [ -z "${best[$k]:-}" ] || (( $(echo "$t < ${best[$k]}" | bc -l) )); then best[$k]=$t; fi
  done
done
for d in records shards; do diff -r "$W/sl-local/$d" "$W/sl-slurm/$d" >/dev/null || { echo "slurm's $d differ from the local run's"; exit 1; }; done
jobs=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['executor']['jobs']))" "$W/sl-slurm/run.json")
in_mb=$(du -sm "$W/en100m-20" | cut -f1)
printf "local run (--jobs 2)             %6.2f s\n" "${best[local]}"
printf "slurm run (%d jobs, 2 tasks each) %6.2f s   (%.2fx the local wall time; records and shards identical)\n" \
  "$jobs" "${best[slurm]}" "$(echo "${best[slurm]} / ${best[local]}" | bc -l)"

# every task of every step by hand, under /usr/bin/time
rm -rf "$W/sl-hand"
"$B" run "$W/slurm-recipe.yaml" -o "$W/sl-hand" --executor slurm --tasks 2 --dry-run >/dev/null
echo "step (task)                 seconds  peak RSS MB   CPU s per GB of corpus (${in_mb} MB)"
for s in "$W"/sl-hand/slurm/*.sbatch; do
  name=$(basename "$s" .sbatch); tasks=$(sed -n 's/.*, \([0-9]*\) task(s)\./\1/p' "$s")
  for ((i = 0; i < tasks; i++)); do
    out=$(SLURM_ARRAY_TASK_ID=$i SLURM_CPUS_PER_TASK=1 /usr/bin/time -f "%e %M" bash "$s" 2>&1 >/dev/null | tail -1)
    read -r sec kb <<<"$out"
    printf "%-26s %8.2f %10.0f %12.1f\n" "$name ($i)" "$sec" "$(echo "$kb / 1024" | bc -l)" "$(echo "$sec * $tasks * 1024 / $in_mb" | bc -l)"
  done
done
