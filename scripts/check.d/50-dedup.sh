#!/usr/bin/env bash
# Near-duplicate quality on a small real benchmark (English documents from the committed sample
# with generated variants, plus the licence texts in /usr/share/doc/*/copyright), with datasketch
# and rensa alongside. Fails when llmdata's recall (J >= 0.85) < 0.95 or precision (vs J <= 0.6) < 0.99.
set -euo pipefail
source scripts/lib.sh
EXTRA_PIP="datasketch rensa" ensure_venv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" scripts/dedup_quality.py "$LLMDATA_BIN" fixtures/sample/en.jsonl "$work" 120
