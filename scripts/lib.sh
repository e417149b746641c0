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

# A throw-away venv with the peer tools used by checks and benchmarks.
ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
  local want="regex numpy zstandard orjson tokenizers tiktoken ${EXTRA_PIP:-}"
  local missing=""
  for p in $want; do "$VENV/bin/python" -c "import ${p//-/_}" 2>/dev/null || missing="$missing $p"; done
  if [ -n "$missing" ]; then "$VENV/bin/pip" install -q $missing; fi
  PY=$VENV/bin/python
}

# Peak RSS (KB) and wall seconds of a command: prints "SECONDS RSS_KB".
measure() {
  /usr/bin/time -f "%e %M" -o "$DATA_DIR/.measure" "$@" >/dev/null
  cat "$DATA_DIR/.measure"
}
