# Shared helpers for scripts/: corpus and venv set-up (data lives in the ignored .data/).
DATA_DIR=${DATA_DIR:-$PWD/.data}
VENV=${VENV:-$DATA_DIR/venv}
SHARED=${SHARED:-$PWD/../shared}

ensure_en_corpus() {
  if [ ! -s "$DATA_DIR/en-corpus/en100m.jsonl" ]; then
    bash "$SHARED/data/build-en-corpus.sh" "$DATA_DIR/en-corpus" >/dev/null
  fi
  EN=$DATA_DIR/en-corpus
}

ensure_langid_data() {
  if [ ! -s "$DATA_DIR/langid-data/dev.jsonl" ]; then
    bash "$SHARED/data/build-langid-data.sh" "$DATA_DIR/langid-data" >/dev/null
  fi
  LANGID_DATA=$DATA_DIR/langid-data
}

# The peer tools' versions: every check and benchmark compares against exactly these (numpy 2.3:
# mistral-common 1.13.1 requires numpy < 2.4 on Python 3.11). The last two lines are datatrove's
# word tokenizers for tha, jpn, kor (datatrove 0.10.1 needs kiwipiepy < 0.22, whose model package
# has the "sbg" model it loads), hin_Deva and vie, for by-hand FineWeb-2 measurements only.
PINS="regex==2026.12.2 numpy==2.3.5 zstandard==0.25.0 orjson==3.13.0 tokenizers==0.23.3 tiktoken==0.14.0
datatrove==0.10.1 datasketch==2.0.0 rensa==0.5.0 spacy==3.8.18 jieba==0.42.1 pyarrow==26.0.1
sentencepiece==0.2.1 fastokens==0.3.5 mistral-common==1.13.1
pythainlp==5.4.0 sudachipy==0.7.0 sudachidict-core==20261015 kiwipiepy==0.21.0 kiwipiepy-model==0.21.0
indic-nlp-library==0.92 pyvi==0.1.1"

# A throw-away venv with the peer tools used by checks and benchmarks: the base set and EXTRA_PIP
# (names; the version comes from PINS when it is there).
ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
  local want="regex numpy zstandard orjson tokenizers tiktoken ${EXTRA_PIP:-}"
  local missing="" p spec ver
  for p in $want; do
    spec=$(printf '%s\n' $PINS | grep -i "^$p==" || echo "$p")
    ver=${spec#*==}; [ "$ver" = "$spec" ] && ver=""
    "$VENV/bin/python" - "$p" "$ver" 2>/dev/null <<'PYCHECK' || missing="$missing $spec"
import sys, importlib.metadata as m
name, ver = sys.argv[1], sys.argv[2]
have = m.version(name)
sys.exit(0 if not ver or have == ver else 1)
PYCHECK
  done
  if [ -n "$missing" ]; then "$VENV/bin/pip" install -q $missing; fi
  PY=$VENV/bin/python
}

# Peak RSS (KB) and wall seconds of a command: prints "SECONDS RSS_KB".
measure() {
  /usr/bin/time -f "%e %M" -o "$DATA_DIR/.measure" "$@" >/dev/null
  cat "$DATA_DIR/.measure"
}
