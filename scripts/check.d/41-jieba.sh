#!/usr/bin/env bash
# Chinese words (--language cmn_Hani) vs datatrove's SpaCyTokenizer("zh") (spaCy over jieba
# 0.42.1): every document's word list identical, on the scraped pages (zh-web.jsonl) and on
# zh-docs.jsonl: 42 documents sampled from the Chinese documentation in build-cjk-corpus.py's
# corpus (debian-reference-zh-cn/zh-tw, libreoffice-help-zh-cn, maint-guide-zh-cn/zh-tw, langid
# training text), 20 edge cases (decimals and percentages, C++/C#/AT&T, full-width punctuation and
# forms, \r\n, tabs, U+3000 and other Unicode spaces, emoji, long runs without dictionary words,
# U+9FD6+, CJK Ext-A/B and compatibility ideographs, Japanese/Korean) and 25 random mixes of
# Han, ASCII, punctuation and spaces. Also checks that models/jieba is what
# scripts/gen-jieba-data.py makes from the pinned jieba.
set -euo pipefail
source scripts/lib.sh
EXTRA_PIP="datatrove spacy jieba" ensure_venv
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$PY" scripts/gen-jieba-data.py "$tmp" >/dev/null
# the decompressed contents are compared (another zstd build may compress differently)
"$PY" - "$tmp" <<'PYCMP'
import sys, zstandard
d = zstandard.ZstdDecompressor()
for f in ("dict.txt.zst", "hmm.txt.zst"):
    a = d.decompress(open(f"{sys.argv[1]}/{f}", "rb").read())
    b = d.decompress(open(f"models/jieba/{f}", "rb").read())
    if a != b:
        sys.exit(f"models/jieba/{f} is not what scripts/gen-jieba-data.py makes now; rerun it")
print("models/jieba: current")
PYCMP
"$PY" scripts/check_jieba_words.py "$LLMDATA_BIN" fixtures/sample/zh-web.jsonl 2> >(grep -v "^Building prefix\|^Loading model\|^Prefix dict\|^Dumping model" >&2)
"$PY" scripts/check_jieba_words.py "$LLMDATA_BIN" fixtures/sample/zh-docs.jsonl 2> >(grep -v "^Building prefix\|^Loading model\|^Prefix dict\|^Dumping model" >&2)
