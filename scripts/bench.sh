#!/usr/bin/env bash
# `make bench`: every scripts/bench.d/*.sh runs llmdata and its peer side by side on the same input
# and prints throughput and the ratio. Results are recorded in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export LLMDATA_BIN=${LLMDATA_BIN:-$PWD/.build/release/llmdata}
source scripts/lib.sh
ensure_en_corpus
ensure_venv
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(date -u +%Y-%m-%d)"
for s in scripts/bench.d/*.sh; do
  [ -e "$s" ] || continue
  if [ -n "${BENCH_ONLY:-}" ] && [[ "$(basename "$s")" != *"$BENCH_ONLY"* ]]; then continue; fi
  echo "== bench: $(basename "$s")"
  bash "$s"
done
