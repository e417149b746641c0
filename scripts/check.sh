#!/usr/bin/env bash
# Cross-checks against reference tools, run by `make test` after the Swift tests.
# Each scripts/check.d/*.sh is one check; it exits non-zero on a mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
export LLMDATA_BIN=${LLMDATA_BIN:-$PWD/.build/release/llmdata}
fail=0
for s in scripts/check.d/*.sh; do
  [ -e "$s" ] || continue
  echo "== check: $(basename "$s")"
  if ! bash "$s"; then echo "FAILED: $s"; fail=1; fi
done
exit $fail
