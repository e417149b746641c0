#!/usr/bin/env bash
# filter vs datatrove's GopherQualityFilter and GopherRepetitionFilter on the committed English
# sample (120 documents; the full en10m/heldout comparison is in make bench). Floor 0.98 here: one
# disagreement in 120 is 0.992.
set -euo pipefail
source scripts/lib.sh
EXTRA_PIP="datatrove spacy" ensure_venv
"$PY" scripts/filter_agreement.py "$LLMDATA_BIN" fixtures/sample/en.jsonl --floor 0.98
