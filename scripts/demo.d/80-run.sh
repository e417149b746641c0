#!/usr/bin/env bash
# Demo: the whole pipeline as one run from fixtures/recipe.yaml, its summary, and --verify.
set -euo pipefail
echo "== run: fixtures/recipe.yaml -> $DEMO_OUT/run/ (normalize, langid en+zh, filter, MinHash dedup, tokenize)"
"$LLMDATA_BIN" run fixtures/recipe.yaml -o "$DEMO_OUT/run" --overwrite
"$LLMDATA_BIN" run --verify "$DEMO_OUT/run"
python3 - "$DEMO_OUT/run/run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"   run.json: llmdata {r['llmdata_version']}, recipe sha256 {r['recipe_sha256'][:12]}…, "
      f"{len(r['inputs'])} inputs, {len(r['outputs'])} outputs hashed, commit {(r['git_commit'] or 'unknown')[:10]}")
PY
