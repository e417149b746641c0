#!/usr/bin/env bash
# normalize vs Python's unicodedata (NFKC, NFC) and an independent Python model of the cleaning
# rules, on the committed multilingual, CJK, Chinese web and English fixtures.
set -euo pipefail
python3 scripts/check_normalize.py "$LLMDATA_BIN" fixtures/normalize/*.jsonl fixtures/sample/*.jsonl
