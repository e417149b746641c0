#!/usr/bin/env bash
# filter vs datatrove's GopherRepetition, GopherQuality, C4 and FineWeb filters on the committed
# English sample (120 documents), and GopherRepetition and FineWeb on the Chinese seeds (datatrove
# splitting with jieba); the full en10m/heldout comparison is in make bench. Floor 0.98 here: one
# disagreement in 120 is 0.992.
set -euo pipefail
source scripts/lib.sh
EXTRA_PIP="datatrove spacy jieba" ensure_venv
"$PY" scripts/filter_agreement.py "$LLMDATA_BIN" fixtures/sample/en.jsonl --floor 0.98
"$PY" scripts/filter_agreement.py "$LLMDATA_BIN" fixtures/sample/zh-web.jsonl --language zh --floor 1.0
