#!/usr/bin/env bash
# tokenize vs tiktoken (GPT-2's real ranks) and vs HF tokenizers (GPT-2-, Llama-3- and Qwen2-style
# tokenizer.json files that HF itself writes from the same ranks), on the committed multilingual,
# CJK, Chinese web and English fixtures. The shards are read back by scripts/shards_reader.py
# (numpy + zstandard), the Megatron export by a reader written from Megatron's .idx layout, and the
# datatrove export by datatrove's own DocumentTokenizerMerger.
set -euo pipefail
source scripts/lib.sh
EXTRA_PIP="datatrove" ensure_venv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# added tokens in running text (Qwen3's <think> is an added token that is not special; HF matches it
# everywhere), and near misses
"$PY" - "$work/added.jsonl" <<'PY'
import json, sys
texts = ["<think>plan</think>answer", "a<think>b", "x<thinky </think", "<think><think></think>", "café <think>é",
         "  <think>\n</think>\n\n", "<thin", "</think>"]
open(sys.argv[1], "w").writelines(json.dumps({"text": t}) + "\n" for t in texts)
PY
inputs="$work/added.jsonl fixtures/sample/en.jsonl fixtures/sample/zh-web.jsonl fixtures/sample/multilingual.jsonl fixtures/normalize/multilingual.jsonl fixtures/normalize/cjk.jsonl"
"$PY" scripts/check_tokenize.py "$LLMDATA_BIN" "$work" --tiktoken fixtures/tokenize/gpt2.tiktoken --pattern gpt2 $inputs
# tiktoken ranks with Llama 3's pattern (its tokenizer.model is a tiktoken file) and Qwen's, and a
# token before every document
"$PY" scripts/check_tokenize.py "$LLMDATA_BIN" "$work" --tiktoken fixtures/tokenize/gpt2.tiktoken --pattern llama3 --bos "<|begin_of_text|>" $inputs
"$PY" scripts/check_tokenize.py "$LLMDATA_BIN" "$work" --tiktoken fixtures/tokenize/gpt2.tiktoken --pattern qwen2 $inputs
# the special tokens llmdata names for these patterns, numbered as Meta's and Qwen's loaders number
# them (--allow-special against tiktoken's allowed_special="all")
"$PY" - "$work/specials-llama3.jsonl" "$work/specials-qwen2.jsonl" <<'PY'
import json, sys
llama = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
         "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
qwen = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] + [f"<|extra_{i}|>" for i in (0, 1, 10, 100, 204)]
for path, names in zip(sys.argv[1:], (llama, qwen)):
    open(path, "w").writelines(json.dumps({"text": f"a{t}b {t}{t}\n{t[:-1]} x"}) + "\n" for t in names)
PY
for p in llama3 qwen2; do
  "$PY" scripts/check_tokenize.py "$LLMDATA_BIN" "$work" --tiktoken fixtures/tokenize/gpt2.tiktoken --pattern $p --allow-special "$work/specials-$p.jsonl"
done
# more than 65,536 ids (uint32 shards): 100,300 synthetic ranks: every byte, 34,508 byte triples,
# the byte pairs that are not both ASCII, then the 16,384 ASCII pairs, so that the pieces of the
# English text come out as ids above 65,535
"$PY" - "$work/big.tiktoken" <<'PY'
import base64, itertools, sys
pairs = list(itertools.product(range(256), repeat=2))
toks = itertools.chain(([b] for b in range(256)), itertools.islice(itertools.product(range(256), repeat=3), 34_508),
                       [p for p in pairs if max(p) >= 128], [p for p in pairs if max(p) < 128])
open(sys.argv[1], "w").writelines(f"{base64.b64encode(bytes(t)).decode()} {r}\n" for r, t in enumerate(toks))
# a ranks file of its own has no special tokens unless its sidecar FILE.json names them
open(sys.argv[1] + ".json", "w").write('{"pattern": "gpt2", "special_tokens": {"<|endoftext|>": 100300}}')
PY
"$PY" scripts/check_tokenize.py "$LLMDATA_BIN" "$work" --tiktoken "$work/big.tiktoken" --pattern gpt2 fixtures/sample/en.jsonl fixtures/normalize/cjk.jsonl
"$PY" scripts/make_hf_tokenizers.py fixtures/tokenize/gpt2.tiktoken "$work/hf" >/dev/null
for style in gpt2 llama3 qwen2; do
  echo "-- $style-style tokenizer.json"
  "$PY" scripts/check_tokenize.py "$LLMDATA_BIN" "$work" --tokenizer "$work/hf/$style-style.json" $inputs
done
echo "-- llama3-style tokenizer.json, --bos <|begin_of_text|> against HF's own post-processor"
"$PY" scripts/check_tokenize.py "$LLMDATA_BIN" "$work" --tokenizer "$work/hf/llama3-style.json" --bos "<|begin_of_text|>" $inputs
# Our own tokenizer.json (llmdata bpe train) for each pattern: ids equal to HF tokenizers' on the fixtures.
for p in gpt2 cl100k o200k llama3 qwen2; do
  echo "-- llmdata bpe train --pattern $p tokenizer.json"
  "$LLMDATA_BIN" bpe train fixtures/sample/en.jsonl fixtures/normalize/multilingual.jsonl --vocab-size 2000 --pattern "$p" \
    --special "<|endoftext|>" -o "$work/ours-$p.json" --quiet
  "$PY" scripts/check_tokenize.py "$LLMDATA_BIN" "$work" --tokenizer "$work/ours-$p.json" $inputs
done
