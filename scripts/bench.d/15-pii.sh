#!/usr/bin/env bash
# normalize --pii: llmdata with and without --pii / --pii-phones against datatrove's PIIFormatter
# on the same texts (en10m.jsonl), same run; see scripts/bench_pii.py and docs/perf/pii.md.
set -euo pipefail
source scripts/lib.sh
ensure_en_corpus
EXTRA_PIP="datatrove" ensure_venv
"$PY" scripts/bench_pii.py "$LLMDATA_BIN" "$EN/en10m.jsonl" --rounds "${BENCH_ROUNDS:-5}"
