#!/usr/bin/env bash
# filter --preset fineweb2 vs datatrove's three filters as fineweb-2-pipeline.py builds them, with
# the same FineWeb-2 configuration and language= (scripts/fineweb2_agreement.py), on
# fixtures/sample/fineweb2-multi.jsonl (8 documents of real text per langid language, made by
# scripts/build-fineweb2-corpus.py --fixture) and fixtures/sample/zh-web.jsonl (as zh).
# Floors: Chinese (jieba on both sides) every document; the languages datatrove splits with
# spaCy's blank tokenizer alone (llmdata with its reproduction of spaCy's English one), 7 of 8
# (measured: 8 of 8 but ca and sv gopher_quality, 7 of 8 on alpha_words_ratio). Japanese, Thai,
# Korean, Hindi and Vietnamese need datatrove's heavy tokenizers (not installed by make test):
# compared when present, reported as unavailable otherwise, never floored here.
set -euo pipefail
source scripts/lib.sh
EXTRA_PIP="datatrove spacy jieba pyyaml" ensure_venv
quiet() { grep -v "^Building prefix\|^Loading model\|^Prefix dict\|^Dumping model" >&2; }
SPACY="ar,bg,ca,cs,da,de,el,es,fa,fi,fr,he,hu,id,it,nl,pl,pt,ro,ru,sv,tr,uk"
"$PY" scripts/fineweb2_agreement.py "$LLMDATA_BIN" fixtures/sample/fineweb2-multi.jsonl \
  --floor 0.875 --floor-languages "zh=1.0,$SPACY" 2> >(quiet)
"$PY" scripts/fineweb2_agreement.py "$LLMDATA_BIN" fixtures/sample/zh-web.jsonl --language zh \
  --floor-languages zh=1.0 2> >(quiet)
