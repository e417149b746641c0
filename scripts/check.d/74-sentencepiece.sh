#!/usr/bin/env bash
# tokenize --tokenizer MODEL.model vs sentencepiece (pinned in lib.sh), document by document:
# Mistral's SentencePiece BPE models as mistral-common ships them (v1, v3, v7; fetched by
# scripts/fetch-tokenizers.sh), and small BPE models trained here with sentencepiece itself on the
# fixtures, one per normalizer option: nmt_nfkc (a precompiled charsmap), identity, nfkc_cf, byte
# fallback on and off, no dummy prefix, extra whitespace kept, whitespace not escaped, user-defined
# symbols. A unigram model must be refused (exit 2, the message names the model type).
set -euo pipefail
source scripts/lib.sh
EXTRA_PIP="sentencepiece" ensure_venv
TOK=$(bash scripts/fetch-tokenizers.sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# edge cases: whitespace runs, digits, emoji, combining marks, control characters, full-width
# forms (NFKC rules), special-token look-alikes, text that is only spaces, U+2581 itself
"$PY" - "$work/edge.jsonl" <<'PY'
import json, sys
texts = ["Hello  world", "  leading and trailing  ", "\t\ttabs\tand\nnewlines\r\n\n", "   ", " ", "a", "x\u2581y \u2581\u2581z",
         "1234567890 3.14159 1,000,000 ２０２４年", "emoji 😀👍🏽👨‍👩‍👧 ✨", "e\u0301 a\u0308 n\u0303 \u1100\u1161\u11a8", "ｆｕｌｌ　ｗｉｄｔｈ ＡＢＣ ｶﾀｶﾅ",
         "ﬁ ﬂ ① ㎏ ™ ½ Ⅻ", "ctrl\x00\x01\x07\x1b[0m\x7f\u200b\u200d\ufeff end", "<s> </s> <unk> <pad> [INST] <0x41> <<s>>",
         "\u3000全角スペース\u3000", "مرحبا بالعالم", "Привет, мир!", "नमस्ते दुनिया", "𝕏 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0010FFFD \uFFFD",
         "snake_case_identifier and CamelCaseWord and ALLCAPS", "a" * 300, "ab " * 200, "\u2581" * 70, "word" + " " * 80 + "word",
         "user: <sym> <sym><sym> x<sym>y <sy"]
open(sys.argv[1], "w").writelines(json.dumps({"text": t}) + "\n" for t in texts)
PY
inputs="$work/edge.jsonl fixtures/sample/en.jsonl fixtures/sample/zh-web.jsonl fixtures/sample/multilingual.jsonl fixtures/normalize/multilingual.jsonl fixtures/normalize/cjk.jsonl"
for v in v1 v3 v7; do
  "$PY" scripts/check_sentencepiece.py "$LLMDATA_BIN" "$work" "$TOK/mistral-$v.model" $inputs
done
# small models trained by sentencepiece on the fixtures
"$PY" - "$work" <<'PY'
import json, sys
import sentencepiece as spm
work = sys.argv[1]
lines = []
for f in ["fixtures/sample/en.jsonl", "fixtures/sample/multilingual.jsonl", "fixtures/normalize/cjk.jsonl", "fixtures/sample/zh-web.jsonl"]:
    for line in open(f, encoding="utf-8"):
        if line.strip():
            lines.extend(x for x in json.loads(line)["text"].split("\n") if x.strip())
open(f"{work}/train.txt", "w", encoding="utf-8").write("\n".join(lines) + "\n")
base = dict(input=f"{work}/train.txt", model_type="bpe", vocab_size=3000, hard_vocab_limit=False, num_threads=1,
            minloglevel=2, max_sentence_length=100000, character_coverage=0.995)
models = {
    "nfkc-bytes": dict(normalization_rule_name="nmt_nfkc", byte_fallback=True),
    "nfkc-unk": dict(normalization_rule_name="nmt_nfkc", byte_fallback=False),
    "identity-bytes": dict(normalization_rule_name="identity", byte_fallback=True),
    "identity-unk": dict(normalization_rule_name="identity", byte_fallback=False),
    "nfkc_cf": dict(normalization_rule_name="nfkc_cf", byte_fallback=True),
    "no-prefix": dict(normalization_rule_name="nmt_nfkc", add_dummy_prefix=False, byte_fallback=True),
    "keep-spaces": dict(normalization_rule_name="identity", remove_extra_whitespaces=False, byte_fallback=True),
    "keep-spaces-unk": dict(normalization_rule_name="nmt_nfkc", remove_extra_whitespaces=False, byte_fallback=False),
    "user-symbols": dict(normalization_rule_name="nmt_nfkc", byte_fallback=True, user_defined_symbols=["<sym>", "[INST]", "2024", "ab"]),
    "whitespace-pieces": dict(normalization_rule_name="identity", remove_extra_whitespaces=False, allow_whitespace_only_pieces=True,
                              split_by_whitespace=False, byte_fallback=True),
}
for name, opts in models.items():
    spm.SentencePieceTrainer.train(model_prefix=f"{work}/{name}", **base, **opts)
spm.SentencePieceTrainer.train(model_prefix=f"{work}/unigram", **{**base, "model_type": "unigram"})
PY
for m in nfkc-bytes nfkc-unk identity-bytes identity-unk nfkc_cf no-prefix keep-spaces keep-spaces-unk user-symbols whitespace-pieces; do
  "$PY" scripts/check_sentencepiece.py "$LLMDATA_BIN" "$work" "$work/$m.model" $inputs
done
"$PY" scripts/check_sentencepiece.py "$LLMDATA_BIN" "$work" "$work/unigram.model" --refuse unigram "$work/edge.jsonl"
