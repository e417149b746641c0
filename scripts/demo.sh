#!/usr/bin/env bash
# `make demo`: runs every stage on the sample corpus in fixtures/ and prints what it produced.
set -euo pipefail
cd "$(dirname "$0")/.."
export LLMDATA_BIN=${1:-$PWD/.build/release/llmdata}
export DEMO_OUT=${DEMO_OUT:-$PWD/.data/demo}
rm -rf "$DEMO_OUT"; mkdir -p "$DEMO_OUT"
for s in scripts/demo.d/*.sh; do
  [ -e "$s" ] || continue
  bash "$s"
done
echo
echo "demo outputs are in $DEMO_OUT"
