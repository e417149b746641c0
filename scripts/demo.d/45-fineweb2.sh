#!/usr/bin/env bash
# Demo: FineWeb-2's per-language filtering (langid's per-language minimum score, then each language's
# thresholds and stop words; Chinese words as jieba splits them), and datatrove's PII replacement.
set -euo pipefail
out="$DEMO_OUT/fineweb2"; mkdir -p "$out"
cat fixtures/sample/zh-web.jsonl fixtures/sample/multilingual.jsonl \
  | "$LLMDATA_BIN" langid --min-score-preset fineweb2 --stats "$out/langid.stats.json" --quiet \
  | "$LLMDATA_BIN" filter --preset fineweb2 -o "$out/kept.jsonl" --rejected "$out/dropped.jsonl" \
      --stats "$out/filter.stats.json" --quiet
python3 - "$out" <<'PY'
import json, sys, collections
d = sys.argv[1]
l = json.load(open(d + "/langid.stats.json")); f = json.load(open(d + "/filter.stats.json"))
print("== langid --min-score-preset fineweb2 | filter --preset fineweb2 (scraped Chinese pages + 30-language segments)")
print("   langid: %d in, %d kept; dropped: %s" % (l["records_in"], l["records_out"], l["dropped"]))
print("   filter: %d in, %d kept; dropped: %s" % (f["records_in"], f["records_out"], f["dropped"]))
cfg = {k.split(".", 2)[2]: v for k, v in f["counters"].items() if k.startswith("fineweb2.config.")}
none = {k.split(".", 2)[2]: v for k, v in f["counters"].items() if k.startswith("fineweb2.no_config.")}
print("   configurations used: " + ", ".join(f"{k} {v}" for k, v in sorted(cfg.items())))
print("   no configuration (kept, --preset-missing keep): " + ", ".join(f"{k} {v}" for k, v in sorted(none.items())))
for line in open(d + "/kept.jsonl", encoding="utf-8"):
    r = json.loads(line)
    if r.get("metadata", {}).get("language") == "zh":
        print("   kept Chinese page %s: %s…" % (r["id"], r["text"][:40].replace("\n", " / ")))
PY
printf '%s\n' '{"text":"联系 zhang.san@example.cn 或致电 +86 138-1234-5678，服务器 8.8.8.8 与内网 192.168.1.10，版本 1.2.3.4"}' \
  | "$LLMDATA_BIN" normalize --form none --pii --pii-phones --stats "$out/pii.stats.json" --quiet > "$out/pii.jsonl"
python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
s = json.load(open(d + "/pii.stats.json"))
print("== normalize --pii --pii-phones: %s" % {k: v for k, v in s["counters"].items() if k.startswith("pii:")})
print("   " + json.loads(open(d + "/pii.jsonl", encoding="utf-8").readline())["text"])
PY
