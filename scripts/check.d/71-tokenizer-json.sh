#!/usr/bin/env bash
# tokenize --tokenizer FILE.json vs HF tokenizers (pinned in scripts/lib.sh), document by document:
# the real DeepSeek-V3 (Sequence of three Splits + ByteLevel, added tokens) and Anthropic (NFKC)
# files from scripts/fetch-tokenizers.sh, then tokenizer.json files built by
# scripts/make_tokenizer_json_variants.py that cover every supported normalizer, pre-tokenizer,
# split behavior, added-token flag, model field and post-processor; then every unsupported
# component must be refused by name (exit 2).
set -euo pipefail
source scripts/lib.sh
ensure_venv
tok_dir=$(bash scripts/fetch-tokenizers.sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" scripts/make_tokenizer_json_variants.py "$tok_dir/anthropic.tokenizer.json" fixtures/sample/en.jsonl "$work/v"
edge="$work/v/edge.jsonl"
real="$edge fixtures/sample/en.jsonl fixtures/sample/zh-web.jsonl fixtures/sample/multilingual.jsonl fixtures/normalize/multilingual.jsonl fixtures/normalize/cjk.jsonl"
fail=0
for f in deepseek-v3 anthropic; do
  "$PY" scripts/check_tokenizer_json.py "$LLMDATA_BIN" "$work" --label "$f" --tokenizer "$tok_dir/$f.tokenizer.json" $real || fail=1
done
# DeepSeek-V3's special tokens with --allow-special (HF matches them by default)
"$PY" - "$work/ds-specials.jsonl" <<'PY'
import json, sys
names = ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>", "<think>", "</think>", "<｜tool▁calls▁begin｜>"]
open(sys.argv[1], "w").writelines(json.dumps({"text": f"a{t}b {t}{t}\n{t[:-1]} x"}, ensure_ascii=False) + "\n" for t in names)
PY
for mode in "" "--allow-special"; do
  "$PY" scripts/check_tokenizer_json.py "$LLMDATA_BIN" "$work" --label "deepseek-v3 specials $mode" \
    --tokenizer "$tok_dir/deepseek-v3.tokenizer.json" $mode "$work/ds-specials.jsonl" || fail=1
done
# random mixes of the character classes DeepSeek-V3's split patterns tell apart (ASCII letters and
# punctuation, digits, marks, CJK, kana, symbols, emoji, White_Space, CR/LF, controls), seeded
"$PY" - "$work/mix.jsonl" <<'PY'
import json, random, sys
r = random.Random(16)
pools = ["abcXYZ", "0123456789", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "   ", "\t\r\n", "\u00a0\u3000\u2009\u200b\u180e",
         "\u0301\u0308\u0903\u20dd", "中文字龥", "ひらがなカタカナー", "€©°±÷→", "👍🏽😀", "，。！？「」", "αβγΣ", "مرحبا", "नमस्ते",
         "\x01\x1b\x7f", "²³½Ⅻ١٢"]
with open(sys.argv[1], "w") as f:
    for _ in range(400):
        t = "".join(r.choice(p) * r.choice((1, 1, 2, 3)) for p in r.choices(pools, k=r.randint(1, 30)))
        f.write(json.dumps({"text": t}) + "\n")
PY
for f in deepseek-v3 anthropic; do
  "$PY" scripts/check_tokenizer_json.py "$LLMDATA_BIN" "$work" --label "$f random mixes" --tokenizer "$tok_dir/$f.tokenizer.json" "$work/mix.jsonl" || fail=1
done
small="$work/mix.jsonl $edge fixtures/sample/en.jsonl fixtures/sample/multilingual.jsonl fixtures/normalize/cjk.jsonl"
while IFS=$'\t' read -r name flags; do
  # shellcheck disable=SC2086
  "$PY" scripts/check_tokenizer_json.py "$LLMDATA_BIN" "$work" --label "$name" --tokenizer "$work/v/$name.json" $flags $small || fail=1
done < "$work/v/supported.tsv"
while IFS=$'\t' read -r name word; do
  set +e
  msg=$("$LLMDATA_BIN" tokenize "$edge" -o "$work/refused" --overwrite --quiet --tokenizer "$work/v/$name.json" --eos none 2>&1 >/dev/null)
  rc=$?
  set -e
  if [[ $rc -ne 2 || "$msg" != *"$word"* || "$msg" != *"$name.json"* ]]; then
    echo "$name: expected exit 2 naming $word and the file, got $rc: $msg"
    fail=1
  fi
done < "$work/v/refused.tsv"
echo "tokenizer.json refusals: $(wc -l < "$work/v/refused.tsv") unsupported components refused by name: $([[ $fail -eq 0 ]] && echo yes || echo 'see above')"
exit $fail
