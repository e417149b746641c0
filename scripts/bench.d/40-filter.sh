#!/usr/bin/env bash
# filter: per-rule keep/drop agreement with datatrove (Gopher quality and repetition, default
# thresholds) and throughput of both, on en10m.jsonl and heldout.jsonl.
set -euo pipefail
source scripts/lib.sh
ensure_en_corpus
EXTRA_PIP="datatrove spacy" ensure_venv
for f in en10m heldout; do
  "$PY" scripts/filter_agreement.py "$LLMDATA_BIN" "$EN/$f.jsonl" || true
done
