#!/usr/bin/env bash
# Parquet input vs pyarrow (pinned below): files written with each compression (snappy, zstd,
# gzip, none), dictionary on/off, data pages v1/v2, several row groups and pages, nulls,
# large_string, nested lists and structs, logical types, INT96, BYTE_STREAM_SPLIT, DELTA_*, the sample
# corpus as Parquet; every record of `llmdata normalize --form none --no-clean` must equal
# pyarrow's to_pylist() (docs/parquet.md). Also stdin, refused codecs, truncated and
# corrupted files (errors name the file, never a crash).
set -euo pipefail
source scripts/lib.sh
PYARROW_VERSION=26.0.1
ensure_venv
if ! "$PY" -c "import sys, pyarrow; sys.exit(pyarrow.__version__ != '$PYARROW_VERSION')" 2>/dev/null; then
  "$VENV/bin/pip" install -q "pyarrow==$PYARROW_VERSION"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" scripts/check_parquet.py "$LLMDATA_BIN" "$work" fixtures/sample/*.jsonl
