#!/usr/bin/env bash
# Demo: train a 2,000-token byte-level BPE tokenizer (cl100k pattern) on the sample corpus
# (English docs, scraped Chinese articles, 30-language segments), plus sharded counting.
set -euo pipefail
OUT=$DEMO_OUT/bpe; mkdir -p "$OUT"
echo "== bpe train: fixtures/sample/ -> $OUT/tokenizer.json (vocab 2000, cl100k, <|endoftext|>) and tokenizer.tiktoken"
"$LLMDATA_BIN" bpe train fixtures/sample --vocab-size 2000 --pattern cl100k --special '<|endoftext|>' \
  -o "$OUT/tokenizer.json" --tiktoken "$OUT/tokenizer.tiktoken" --stats "$OUT/train.stats.json" --quiet
for i in 0 1; do
  "$LLMDATA_BIN" bpe count fixtures/sample --shard-index $i --shard-count 2 -o "$OUT/counts-$i.bin" --quiet
done
"$LLMDATA_BIN" bpe train --counts "$OUT/counts-0.bin" "$OUT/counts-1.bin" --vocab-size 2000 --special '<|endoftext|>' \
  -o "$OUT/tokenizer-from-shards.json" --quiet
if cmp -s "$OUT/tokenizer.json" "$OUT/tokenizer-from-shards.json"; then same=identical; else same=DIFFERENT; fi
python3 - "$OUT" "$same" <<'PY' 2>/dev/null || cat "$OUT/train.stats.json"
import json, sys
out, same = sys.argv[1], sys.argv[2]
s = json.load(open(f"{out}/train.stats.json"))
t = json.load(open(f"{out}/tokenizer.json", encoding="utf-8"))
ph = ", ".join(f"{k} {v:.3f}s" for k, v in s["phase_seconds"].items())
print(f"   {s['records_in']} records, {s['words']} words ({s['unique_words']} unique) -> vocab {s['vocab_size']}, "
      f"{s['merges']} merges; {ph}; peak {s['peak_rss_bytes'] // 2**20} MB")
m = t["model"]["merges"]
print("   first merges:", ", ".join("+".join(p) for p in m[:8]))
print("   last tokens:", ", ".join(k for k, _ in sorted(t["model"]["vocab"].items(), key=lambda kv: kv[1])[-8:]))
print(f"   training on 2 counted shards gives the {same} tokenizer.json")
PY
ls "$OUT"
