#!/usr/bin/env bash
# tokenize with real tiktoken ranks files, as their PyPI packages ship them (scripts/fetch-tokenizers.sh,
# pinned wheels), against tiktoken 0.14: tiktoken's own encodings built by its constructors in
# tiktoken_ext/openai_public.py (r50k_base from fixtures/tokenize/gpt2.tiktoken, GPT-2's ranks;
# p50k_base, p50k_edit, cl100k_base, o200k_base), Llama 3's and Llama 4's tokenizer.model through
# Meta's Tokenizer class (llama_models' tokenizer.py), and Qwen's qwen.tiktoken; each file passed
# as --tokenizer FILE alone (the encoding is recognized and recorded in the manifest), then with
# --allow-special on texts full of its special tokens. A ranks file of its own with a sidecar
# FILE.json is checked against tiktoken.Encoding built from the sidecar.
set -euo pipefail
source scripts/lib.sh
EXTRA_PIP="datatrove" ensure_venv
T=$(bash scripts/fetch-tokenizers.sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fixtures="fixtures/sample/en.jsonl fixtures/sample/zh-web.jsonl fixtures/sample/multilingual.jsonl fixtures/normalize/multilingual.jsonl fixtures/normalize/cjk.jsonl"
"$PY" scripts/tokenize_edge_texts.py "$work/edge.jsonl"
check() { "$PY" scripts/check_tokenize.py "$LLMDATA_BIN" "$work" "$@"; }
# FILE ENCODING [llama tokenizer.py]: recognized alone, then --allow-special on its special tokens
for spec in "fixtures/tokenize/gpt2.tiktoken r50k_base" "$T/p50k_base.tiktoken p50k_base" "$T/cl100k_base.tiktoken cl100k_base" \
            "$T/o200k_base.tiktoken o200k_base" "$T/llama3.tokenizer.model llama3 $T/llama3_tokenizer.py" \
            "$T/llama4.tokenizer.model llama4 $T/llama4_tokenizer.py" "$T/qwen.tiktoken qwen"; do
  set -- $spec
  file=$1 enc=$2 py=${3:-}
  echo "-- $(basename "$file"): --tokenizer FILE, recognized as $enc"
  check --tiktoken "$file" --encoding "$enc" ${py:+--llama-py "$py"} --detect "$work/edge.jsonl" $fixtures
  # the special tokens llmdata numbers for the encoding (Llama 3: the names every Llama 3 version
  # gives the same id), a sample of Llama 4's 2,048 and Qwen's 208
  specials=$("$PY" - "$enc" <<'PY'
import sys
enc = sys.argv[1]
names = {
    "r50k_base": ["<|endoftext|>"], "p50k_base": ["<|endoftext|>"],
    "cl100k_base": ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>"],
    "o200k_base": ["<|endoftext|>", "<|endofprompt|>"],
    "llama3": ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
               "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
    "llama4": ["<|begin_of_text|>", "<|end_of_text|>", "<|fim_prefix|>", "<|header_start|>", "<|header_end|>", "<|eom|>",
               "<|eot|>", "<|python_start|>", "<|finetune_right_pad|>", "<|image|>", "<|patch|>",
               "<|text_post_train_reserved_special_token_68|>", "<|vision_reserved_special_token_1047|>",
               "<|reasoning_thinking_start|>", "<|reasoning_thinking_end|>", "<|reserved_special_token_0|>",
               "<|reserved_special_token_903|>"],
    "qwen": ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|extra_0|>", "<|extra_204|>"],
}[enc]
print("\n".join(names))
PY
)
  mapfile -t names <<<"$specials"
  "$PY" scripts/tokenize_edge_texts.py "$work/specials.jsonl" "${names[@]}"
  check --tiktoken "$file" --encoding "$enc" ${py:+--llama-py "$py"} --allow-special "$work/specials.jsonl"
done
echo "-- p50k_edit (p50k_base's file with --encoding p50k_edit: FIM tokens 50281-50283)"
"$PY" scripts/tokenize_edge_texts.py "$work/fim.jsonl" "<|endoftext|>" "<|fim_prefix|>" "<|fim_middle|>" "<|fim_suffix|>"
check --tiktoken "$T/p50k_base.tiktoken" --encoding p50k_edit "$work/fim.jsonl" fixtures/sample/en.jsonl
check --tiktoken "$T/p50k_base.tiktoken" --encoding p50k_edit --allow-special "$work/fim.jsonl"
echo "-- o200k_harmony (o200k_base's file with --encoding o200k_harmony: gpt-oss's special tokens)"
"$PY" scripts/tokenize_edge_texts.py "$work/harmony.jsonl" "<|endoftext|>" "<|startoftext|>" "<|start|>" "<|channel|>" "<|message|>" \
  "<|end|>" "<|return|>" "<|call|>" "<|constrain|>" "<|reserved_200000|>" "<|reserved_201087|>" "<|endofprompt|>"
check --tiktoken "$T/o200k_base.tiktoken" --encoding o200k_harmony "$work/harmony.jsonl" fixtures/sample/en.jsonl
check --tiktoken "$T/o200k_base.tiktoken" --encoding o200k_harmony --allow-special "$work/harmony.jsonl"
echo "-- a ranks file of its own: pattern and special tokens from its sidecar FILE.json"
# the first 30,000 of cl100k's ranks, o200k's pattern, special tokens after them
"$PY" - "$T/cl100k_base.tiktoken" "$work/own.tiktoken" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()[:30_000]
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
json.dump({"pattern": "o200k", "pat_str": r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
           "special_tokens": {"<|endoftext|>": 30_000, "<|pad|>": 30_001}}, open(sys.argv[2] + ".json", "w"))
PY
"$PY" scripts/tokenize_edge_texts.py "$work/own-specials.jsonl" "<|endoftext|>" "<|pad|>"
check --tiktoken "$work/own.tiktoken" --detect "$work/edge.jsonl" $fixtures
check --tiktoken "$work/own.tiktoken" --allow-special "$work/own-specials.jsonl"
