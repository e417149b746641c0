#!/usr/bin/env bash
# Demo: the same recipe as Slurm job arrays on a one-node cluster on this machine
# (scripts/slurm/up.sh, stopped again at the end), and that it made what the local run made.
set -euo pipefail
echo "== run --executor slurm: fixtures/recipe.yaml -> $DEMO_OUT/run-slurm/ (a one-node Slurm cluster here)"
started=""
[ -f .build/slurm/pids ] || started=1
eval "$(make -s slurm-up)"
trap '[ -z "$started" ] || make -s slurm-down >/dev/null' EXIT
"$LLMDATA_BIN" run fixtures/recipe.yaml -o "$DEMO_OUT/run-slurm" --overwrite --executor slurm --tasks 2 --poll 0.5 --dry-run | sed 's/^/   /'
"$LLMDATA_BIN" run fixtures/recipe.yaml -o "$DEMO_OUT/run-slurm" --executor slurm --tasks 2 --poll 0.5 2>/dev/null
for d in records shards rejected; do
  diff -r "$DEMO_OUT/run/$d" "$DEMO_OUT/run-slurm/$d" >/dev/null && echo "   $d/: identical to the local run's" \
    || { echo "   $d/: DIFFERS from the local run's"; exit 1; }
done
echo "   scripts and task logs: $DEMO_OUT/run-slurm/slurm/ (docs/scale-out.md)"
