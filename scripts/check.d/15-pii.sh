#!/usr/bin/env bash
# normalize --pii vs datatrove's PIIFormatter(email_replacement="email@example.com",
# ip_replacement="22.214.171.124"): byte-identical text and equal replacement counts on
# hand-written cases, 20000 seeded random strings and the committed samples (plus heldout when
# present); --pii-phones against datatrove followed by the script's Python model of the phone
# rules. docs/normalize.md § PII.
set -euo pipefail
source scripts/lib.sh
EXTRA_PIP="datatrove" ensure_venv
"$PY" scripts/check_pii.py "$LLMDATA_BIN"
