#!/usr/bin/env bash
# models/spacy is what scripts/gen-spacy-rules.py makes from the pinned spaCy and datatrove, and
# the words of `filter --language NAME` for every FineWeb-2 name it routes to spaCy's rules
# (index.tsv) are datatrove's SpaCyTokenizer words on every document of the committed fixture
# fixtures/sample/multilingual.jsonl (300 documents in 30 languages and scripts, each split with
# every language's rules). docs/perf/spacy-tokenizer.md has the figures on the larger corpora.
set -euo pipefail
source scripts/lib.sh
EXTRA_PIP="datatrove spacy" ensure_venv
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$PY" scripts/gen-spacy-rules.py "$tmp" >/dev/null
# the decompressed contents are compared (another zstd build may compress differently)
"$PY" - "$tmp" <<'PYCMP'
import os, sys, zstandard
new, old = sys.argv[1], "models/spacy"
def read(p):
    b = open(p, "rb").read()
    return zstandard.ZstdDecompressor().decompress(b) if p.endswith(".zst") else b
names = sorted(set(os.listdir(new)) | set(os.listdir(old)))
stale = [n for n in names if not (os.path.exists(f"{new}/{n}") and os.path.exists(f"{old}/{n}")) or read(f"{new}/{n}") != read(f"{old}/{n}")]
if stale:
    sys.exit(f"models/spacy is not what scripts/gen-spacy-rules.py makes now ({', '.join(stale)}); rerun it")
print(f"models/spacy: current ({len(names)} files)")
PYCMP
grep -v '^#' models/spacy/index.tsv | cut -f1 | while read -r name; do
  "$PY" scripts/check_spacy_words.py "$LLMDATA_BIN" fixtures/sample/multilingual.jsonl "$name" --floor 1.0
done
