#!/usr/bin/env bash
# bpe train vs HF tokenizers' BpeTrainer and rustbpe, one run, same records (the lines of the
# corpus, read by each tool's own API), cl100k pattern: wall seconds and peak RSS of the whole
# process (/usr/bin/time), ratios, and whether llmdata's tokenizer.json is byte-identical to HF's.
# Corpora en100m.txt and en10m.txt, vocab 32,000 and 8,192. Then bytes/token on heldout.txt, and
# the full-corpus pre-tokenization check (en100m.txt for cl100k, en10m.txt + heldout.txt for all).
set -euo pipefail
source scripts/lib.sh
ensure_en_corpus
EXTRA_PIP=rustbpe ensure_venv
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
echo "bpe train, cl100k pattern; wall s / peak RSS MB; ratio = peer / llmdata"
printf "%-12s %6s %16s %16s %16s %9s %9s %9s %s\n" corpus vocab llmdata "HF tokenizers" rustbpe "HF/ll" "rb/ll" "rbRSS/ll" "merges vs HF"
for f in "$EN/en100m.txt" "$EN/en10m.txt"; do
  for v in 32000 8192; do
    read -r to ro < <(measure "$LLMDATA_BIN" bpe train "$f" --pattern cl100k --vocab-size "$v" -o "$TMP/ours-$v.json" --quiet)
    read -r th rh < <(measure "$PY" scripts/bpe/hf_train.py --pattern cl100k --vocab-size "$v" -o "$TMP/hf-$v.json" "$f")
    read -r tr rr < <(measure "$PY" scripts/bpe/rustbpe_train.py --pattern cl100k --vocab-size "$v" "$f" 2>/dev/null)
    same=$(cmp -s "$TMP/ours-$v.json" "$TMP/hf-$v.json" && echo "identical" || echo "DIFFERENT")
    printf "%-12s %6d %8.2f / %5d %8.2f / %5d %8.2f / %5d %8.1fx %8.1fx %8.2fx %s\n" "$(basename "$f")" "$v" \
      "$to" $((ro / 1024)) "$th" $((rh / 1024)) "$tr" $((rr / 1024)) \
      "$(echo "$th / $to" | bc -l)" "$(echo "$tr / $to" | bc -l)" "$(echo "$rr / $ro" | bc -l)" "$same"
    if [ "$same" != identical ]; then "$PY" - "$TMP/ours-$v.json" "$TMP/hf-$v.json" <<'PY'
import json, sys
a, b = (json.load(open(p, encoding="utf-8"))["model"] for p in sys.argv[1:])
i = next((i for i, (x, y) in enumerate(zip(a["merges"], b["merges"])) if x != y), None)
print(f"   vocab equal: {a['vocab'] == b['vocab']}; first differing merge rank: {i}")
PY
    fi
    if [ "$(basename "$f")" = en100m.txt ] && [ "$v" = 32000 ]; then cp "$TMP/ours-$v.json" "$TMP/ours-100m-32k.json"; cp "$TMP/hf-$v.json" "$TMP/hf-100m-32k.json"; fi
  done
done
"$LLMDATA_BIN" bpe train "$EN/en100m.txt" --pattern cl100k --vocab-size 32000 -o "$TMP/s.json" --stats "$TMP/stats.json" --quiet
"$PY" - "$TMP/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ph = ", ".join(f"{k} {v:.2f}s" for k, v in s["phase_seconds"].items())
print(f"llmdata --stats on en100m.txt @32000: {s['words']} words, {s['unique_words']} unique, {s['merges']} merges; {ph}; peak {s['peak_rss_bytes'] // 2**20} MB")
PY
# memory follows unique words, not corpus size: en100m.txt three times over (same unique words)
[ -s "$DATA_DIR/en300m.txt" ] || cat "$EN/en100m.txt" "$EN/en100m.txt" "$EN/en100m.txt" > "$DATA_DIR/en300m.txt"
read -r t1 r1 < <(measure "$LLMDATA_BIN" bpe train "$EN/en100m.txt" --pattern cl100k --vocab-size 32000 -o "$TMP/m1.json" --quiet)
read -r t3 r3 < <(measure "$LLMDATA_BIN" bpe train "$DATA_DIR/en300m.txt" --pattern cl100k --vocab-size 32000 -o "$TMP/m3.json" --quiet)
printf "peak RSS, en100m.txt: %d MB (%.2f s); en100m.txt x3 (300 MB): %d MB (%.2f s)\n" $((r1 / 1024)) "$t1" $((r3 / 1024)) "$t3"
"$PY" - "$TMP/ours-100m-32k.json" "$TMP/hf-100m-32k.json" "$EN/heldout.txt" <<'PY'
import sys
sys.path.insert(0, "scripts/bpe")
from records import records
from tokenizers import Tokenizer
texts = list(records([sys.argv[3]]))
nbytes = sum(len(t.encode("utf-8")) for t in texts)
for name, path in (("llmdata", sys.argv[1]), ("HF", sys.argv[2])):
    tok = Tokenizer.from_file(path)
    n = sum(len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False))
    print(f"heldout.txt bytes/token with the en100m @32000 tokenizer, {name}: {nbytes / n:.4f} ({n} tokens)")
PY
"$PY" scripts/bpe/check_pretok.py "$LLMDATA_BIN" cl100k "$EN/en100m.txt"
for p in gpt2 cl100k o200k; do "$PY" scripts/bpe/check_pretok.py "$LLMDATA_BIN" $p "$EN/en10m.txt" "$EN/heldout.txt"; done
