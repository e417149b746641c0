#!/usr/bin/env bash
# Real model tokenizer files, as their PyPI packages ship them (issue 16), into $DATA_DIR/tokenizers
# (ignored): pinned wheels are downloaded with `pip download --no-deps` and the files unpacked under
# names that say what they are. Prints the directory. Rerunning reuses what is there.
#
#   cl100k_base.tiktoken, o200k_base.tiktoken, p50k_base.tiktoken  (litellm: named by hash there)
#   deepseek-v3.tokenizer.json, anthropic.tokenizer.json           (litellm)
#   llama3.tokenizer.model, llama4.tokenizer.model                 (llama-models, tiktoken ranks)
#   qwen.tiktoken                                                  (qwen-agent)
#   tekken_240718.json, tekken_240911.json                         (mistral-common, Tekken)
#   mistral-v1.model, mistral-v2.model, mistral-v3.model, mistral-v7.model  (mistral-common, SentencePiece)
set -euo pipefail
DATA_DIR=${DATA_DIR:-$PWD/.data}
out=$DATA_DIR/tokenizers
WHEELS="llama-models==0.3.0 litellm==1.110.2 qwen-agent==0.0.34 mistral-common==1.13.1"
if [ -s "$out/.complete" ] && [ "$(cat "$out/.complete")" = "$WHEELS" ]; then echo "$out"; exit 0; fi
mkdir -p "$out/wheels"
# the venv's pip (python3-venv brings it; a fresh Debian has no system pip)
source scripts/lib.sh
ensure_venv >&2
PIP=$VENV/bin/pip
for p in $WHEELS; do
  name=${p%%==*}; ver=${p##*==}
  ls "$out/wheels/${name//-/_}-$ver-"*.whl >/dev/null 2>&1 || $PIP download -q --no-deps "$p" -d "$out/wheels" >&2
done
x() { # wheel-glob member destination (python's zipfile: a fresh machine may have no unzip)
  python3 -c 'import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)' "$(ls "$out"/wheels/$1 | head -1)" "$2" "$out/$3.tmp" && mv "$out/$3.tmp" "$out/$3"
}
L=litellm/litellm_core_utils/tokenizers
x 'litellm-*.whl' $L/9b5ad71b2ce5302211f9c61530b329a4922fc6a4 cl100k_base.tiktoken
x 'litellm-*.whl' $L/fb374d419588a4632f3f557e76b4b70aebbca790 o200k_base.tiktoken
x 'litellm-*.whl' $L/ec7223a39ce59f226a68acc30dc1af2788490e15 p50k_base.tiktoken
x 'litellm-*.whl' $L/deepseek_tokenizer.json deepseek-v3.tokenizer.json
x 'litellm-*.whl' $L/anthropic_tokenizer.json anthropic.tokenizer.json
x 'llama_models-*.whl' llama_models/llama3/tokenizer.model llama3.tokenizer.model
x 'llama_models-*.whl' llama_models/llama4/tokenizer.model llama4.tokenizer.model
x 'qwen_agent-*.whl' qwen_agent/utils/qwen.tiktoken qwen.tiktoken
M=mistral_common/data
x 'mistral_common-*.whl' $M/tekken_240718.json tekken_240718.json
x 'mistral_common-*.whl' $M/tekken_240911.json tekken_240911.json
x 'mistral_common-*.whl' $M/tokenizer.model.v1 mistral-v1.model
x 'mistral_common-*.whl' $M/mistral_instruct_tokenizer_240216.model.v2 mistral-v2.model
x 'mistral_common-*.whl' $M/mistral_instruct_tokenizer_240323.model.v3 mistral-v3.model
x 'mistral_common-*.whl' $M/mistral_instruct_tokenizer_241114.model.v7 mistral-v7.model
# the reference code beside them (patterns and special tokens of Llama 4, Tekkenizer)
x 'llama_models-*.whl' llama_models/llama4/tokenizer.py llama4_tokenizer.py
x 'llama_models-*.whl' llama_models/llama3/tokenizer.py llama3_tokenizer.py
echo "$WHEELS" > "$out/.complete"
echo "$out"
