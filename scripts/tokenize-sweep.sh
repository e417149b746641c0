#!/usr/bin/env bash
# Every real tokenizer file of scripts/fetch-tokenizers.sh against its reference on a larger
# multilingual corpus than make test's fixtures: 4,500 documents of 1-40 lines drawn from the 30
# languages' training text of ../shared/data/build-langid-data.sh (Debian's translations) plus its
# 6,000 dev segments, ~10 MB. Not part of make test (building the language data takes minutes);
# run it by hand: LLMDATA_BIN=.build/release/llmdata bash scripts/tokenize-sweep.sh
set -euo pipefail
source scripts/lib.sh
ensure_langid_data
EXTRA_PIP="datatrove sentencepiece mistral-common" ensure_venv
T=$(bash scripts/fetch-tokenizers.sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
M=$work/multilingual.jsonl
"$PY" - "$LANGID_DATA" "$M" <<'PY'
import glob, json, random, sys
data, out = sys.argv[1], open(sys.argv[2], "w", encoding="utf-8")
random.seed(16)
for f in sorted(glob.glob(f"{data}/train/*.txt")):
    lines = [l.rstrip("\n") for l in open(f, encoding="utf-8") if l.strip()]
    random.shuffle(lines)
    i = 0
    for _ in range(150):
        k = random.randint(1, 40)
        out.write(json.dumps({"text": "\n".join(lines[i:i + k])}, ensure_ascii=False) + "\n")
        i += k
for line in open(f"{data}/dev.jsonl", encoding="utf-8"):
    out.write(json.dumps({"text": json.loads(line)["text"]}, ensure_ascii=False) + "\n")
PY
fail=0
for spec in "fixtures/tokenize/gpt2.tiktoken r50k_base" "$T/p50k_base.tiktoken p50k_base" "$T/cl100k_base.tiktoken cl100k_base" \
            "$T/o200k_base.tiktoken o200k_base" "$T/llama3.tokenizer.model llama3 $T/llama3_tokenizer.py" \
            "$T/llama4.tokenizer.model llama4 $T/llama4_tokenizer.py" "$T/qwen.tiktoken qwen"; do
  set -- $spec
  echo "-- $2"
  "$PY" scripts/check_tokenize.py "$LLMDATA_BIN" "$work" --tiktoken "$1" --encoding "$2" ${3:+--llama-py "$3"} --detect "$M" | tail -1 || fail=1
done
for f in tekken_240718.json tekken_240911.json; do
  echo "-- $f"
  "$PY" scripts/check_tokenize.py "$LLMDATA_BIN" "$work" --tekken "$T/$f" "$M" | tail -1 || fail=1
done
for f in deepseek-v3 anthropic; do
  "$PY" scripts/check_tokenizer_json.py "$LLMDATA_BIN" "$work" --label "$f" --tokenizer "$T/$f.tokenizer.json" "$M" | tail -1 || fail=1
done
for v in v1 v2 v3 v7; do
  "$PY" scripts/check_sentencepiece.py "$LLMDATA_BIN" "$work" "$T/mistral-$v.model" "$M" | tail -1 || fail=1
done
exit $fail
