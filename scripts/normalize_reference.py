#!/usr/bin/env python3
"""The Python reference for `llmdata normalize` benchmarks: one process, json.loads +
unicodedata.normalize + json.dumps per record (what a plain Python pipeline does)."""
import json
import sys
import unicodedata

form = sys.argv[1] if len(sys.argv) > 1 else "NFKC"
inp = sys.stdin.buffer
out = sys.stdout
for line in inp:
    if not line.strip():
        continue
    rec = json.loads(line)
    rec["text"] = unicodedata.normalize(form, rec["text"])
    out.write(json.dumps(rec, ensure_ascii=False))
    out.write("\n")
