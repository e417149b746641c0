#!/usr/bin/env bash
# docs/cli.md is generated from the binary's --help (scripts/gen-cli-doc.sh): it must be current.
set -euo pipefail
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
OUT=$tmp bash scripts/gen-cli-doc.sh "$LLMDATA_BIN" >/dev/null
if ! diff -u docs/cli.md "$tmp"; then
  echo "docs/cli.md is out of date: run scripts/gen-cli-doc.sh"
  exit 1
fi
echo "docs/cli.md is current"
