#!/usr/bin/env bash
# Thai and Hindi words vs datatrove's tokenizers (scripts/check_thai_hindi_words.py): tha_Thai is
# pythainlp 5.4.0's newmm-safe (Sources/LLMDataFilter/ThaiNewmm.swift), hin_Deva indic-nlp-library
# 0.92's trivial_tokenize (IndicTrivial.swift). Every document's word list identical on
# fixtures/sample/fineweb2-multi.jsonl (8 Thai, 8 Hindi documents of real text) and on
# fixtures/sample/thai-hindi-edge.jsonl's 56 Thai cases (formatted and Thai digits, Latin, C++,
# tabs, \r\n, NBSP, U+3000, punctuation, repeated characters, emoji and non-BMP, texts of
# 139-2,000 characters with and without spaces for newmm-safe's chunks, 30 random strings of Thai
# characters for the cluster rules). Its 42 Hindi cases: 38 identical; the other 4 are numbers
# that trivial_tokenize joins across spaces ("1, 000" -> "1,000"), which llmdata writes as the span
# "1, 000" (words are spans of the text), hence the floor 0.9. Also .data/fineweb2/th.jsonl and
# hi.jsonl (~1 MB each, scripts/build-fineweb2-corpus.py) when present. And checks that
# models/thai is what scripts/gen-thai-data.py makes from the pinned pythainlp.
set -euo pipefail
source scripts/lib.sh
EXTRA_PIP="datatrove pythainlp indic-nlp-library" ensure_venv
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$PY" scripts/gen-thai-data.py "$tmp" >/dev/null
"$PY" - "$tmp" <<'PYCMP'
import sys, zstandard
d = zstandard.ZstdDecompressor()
a = d.decompress(open(f"{sys.argv[1]}/words_th.txt.zst", "rb").read())
b = d.decompress(open("models/thai/words_th.txt.zst", "rb").read())
if a != b:
    sys.exit("models/thai/words_th.txt.zst is not what scripts/gen-thai-data.py makes now; rerun it")
print("models/thai: current")
PYCMP
"$PY" scripts/check_thai_hindi_words.py "$LLMDATA_BIN" fixtures/sample/fineweb2-multi.jsonl tha_Thai --only th
"$PY" scripts/check_thai_hindi_words.py "$LLMDATA_BIN" fixtures/sample/fineweb2-multi.jsonl hin_Deva --only hi
"$PY" scripts/check_thai_hindi_words.py "$LLMDATA_BIN" fixtures/sample/thai-hindi-edge.jsonl tha_Thai --only th
"$PY" scripts/check_thai_hindi_words.py "$LLMDATA_BIN" fixtures/sample/thai-hindi-edge.jsonl hin_Deva --only hi --floor 0.9 --show 0
for pair in th:tha_Thai hi:hin_Deva; do
  f=${DATA_DIR:-.data}/fineweb2/${pair%%:*}.jsonl
  if [ -f "$f" ]; then "$PY" scripts/check_thai_hindi_words.py "$LLMDATA_BIN" "$f" "${pair#*:}"; fi
done
