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
# and 1,000 seeded random mixes of the pieces spaCy's rules act on (punctuation, quotes, elisions,
# special cases such as z.B. and и пр., URLs, emoji, Unicode spaces, \r\n, tabs, letters of 8 scripts)
"$PY" - "$tmp/random.jsonl" <<'PYGEN'
import json, random, sys
random.seed(7)
pieces = ["a", "b", "Z", "é", "ß", "ü", "ñ", "ç", "ı", "İ", "д", "Ж", "λ", "Ω", "ש", "ع", "ی", "1", "2", "0", "9", ".", ",", ":",
          ";", "!", "?", "'", "’", '"', "«", "»", "„", "“", "(", ")", "[", "]", "{", "}", "-", "–", "—", "/", "\\", "&", "%", "$",
          "€", "£", "+", "=", "*", "#", "@", "_", "~", "^", "…", "...", "´", "`", "¿", "¡", " ", " ", " ", "  ", "\t", "\n",
          "\u00a0", "\u3000", "\r\n", "😀", "👍🏽", "http://x.org/a?b=1", "www.test.de", "a@b.com", "z.B.", "z. B.", "usw.",
          "d.h.", "l'", "qu'", "c'est", "aujourd'hui", "и пр.", "т.д.", "т. д.", "Dr.", "St.", "n°", "3,5", "10.000", "1.5kg",
          "km/h", "e-mail", "J.-C.", "(:", ":-)", ":)", "<3", "'s", "n't", "Paket-Befehle", "co-op", "anti-", "-based", "#tag",
          "@user", "C++", "a.b.C", "U.S.A.", "etc.", "Nr.", "S.", "v.a.", "bzw."]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for _ in range(1000):
        f.write(json.dumps({"text": "".join(random.choice(pieces) for _ in range(random.randint(1, 25)))}, ensure_ascii=False) + "\n")
PYGEN
grep -v '^#' models/spacy/index.tsv | cut -f1 | while read -r name; do
  "$PY" scripts/check_spacy_words.py "$LLMDATA_BIN" fixtures/sample/multilingual.jsonl "$name" --floor 1.0
  "$PY" scripts/check_spacy_words.py "$LLMDATA_BIN" "$tmp/random.jsonl" "$name" --floor 1.0
done
