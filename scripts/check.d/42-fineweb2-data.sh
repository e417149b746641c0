#!/usr/bin/env bash
# models/fineweb2 is current: every shipped FineWeb-2 configuration has the SHA-256 that SOURCE.md
# records (copied unchanged from huggingface/fineweb-2), SOURCE.md lists no file that is missing, and
# languages.tsv is what scripts/gen-fineweb2-data.py makes from the pinned datatrove's
# tokenizer_assignment.csv.
set -euo pipefail
source scripts/lib.sh
EXTRA_PIP="datatrove" ensure_venv
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$PY" scripts/gen-fineweb2-data.py --languages "$tmp/languages.tsv"
cmp "$tmp/languages.tsv" models/fineweb2/languages.tsv || { echo "models/fineweb2/languages.tsv is stale: rerun scripts/gen-fineweb2-data.py" >&2; exit 1; }
"$PY" - <<'PY'
import hashlib, os, re, sys
d = "models/fineweb2"
listed = dict(re.findall(r"^\| (\S+\.yml) \| ([0-9a-f]{64}) \|$", open(f"{d}/SOURCE.md").read(), re.M))
present = {f for f in os.listdir(d) if f.endswith(".yml")}
bad = [f for f in sorted(present | set(listed)) if f not in listed or f not in present
       or hashlib.sha256(open(f"{d}/{f}", "rb").read()).hexdigest() != listed[f]]
if bad:
    sys.exit(f"models/fineweb2: files differ from SOURCE.md's SHA-256 list: {bad}")
print(f"models/fineweb2: {len(present)} configurations match SOURCE.md; languages.tsv is current")
PY
