#!/usr/bin/env python3
"""llmdata tokenize vs sentencepiece on a SentencePiece BPE model, one thread each.

sentencepiece: `SentencePieceProcessor.encode(texts, num_threads=1)` over the texts already in
memory (its model load and the JSON parsing are not timed). llmdata, two figures: the whole
command `llmdata tokenize FILE --tokenizer MODEL --jobs 1 --discard` (process start, model load,
reading and parsing the JSON Lines included: nothing subtracted), and the same run's `seconds`
minus `load_seconds` from --stats (reading, parsing and encoding). Best of 3 runs each; one pass
over the text per run, so llmdata's piece cache starts empty every time. The token counts must
agree (llmdata adds one </s> per document).

Usage: bench_sentencepiece.py LLMDATA_BIN MODEL LABEL=FILE.jsonl...
"""
import json
import os
import subprocess
import sys
import time

import sentencepiece as spm


def main():
    binary, model = sys.argv[1], sys.argv[2]
    runs = 3
    sp = spm.SentencePieceProcessor(model_file=model)
    for arg in sys.argv[3:]:
        label, path = arg.split("=", 1)
        texts = [json.loads(l)["text"] for l in open(path, encoding="utf-8") if l.strip()]
        mb = sum(len(t.encode()) for t in texts) / 1e6
        sp_best, ntok = 1e9, 0
        for _ in range(2):
            t0 = time.perf_counter()
            ids = sp.encode(texts, num_threads=1)
            sp_best = min(sp_best, time.perf_counter() - t0)
            ntok = sum(map(len, ids))
        ours_best, enc_best, load = 1e9, 1e9, 0.0
        stats = f"/tmp/bench-sp-{os.getpid()}.json"
        for _ in range(runs):
            t0 = time.perf_counter()
            p = subprocess.run([binary, "tokenize", path, "--tokenizer", model, "--jobs", "1", "--discard", "-o", "/dev/null/unused",
                                "--stats", stats], capture_output=True, text=True)
            ours_best = min(ours_best, time.perf_counter() - t0)
            if p.returncode != 0:
                sys.exit(f"llmdata tokenize failed: {p.stderr}")
            st = json.load(open(stats))
            if st["seconds"] - st["load_seconds"] < enc_best:
                enc_best, load = st["seconds"] - st["load_seconds"], st["load_seconds"]
        os.unlink(stats)
        ours_tokens = int(p.stderr.split(" documents, ")[1].split(" tokens")[0])
        if ours_tokens != ntok + len(texts):
            sys.exit(f"{label}: token counts differ: llmdata {ours_tokens}, sentencepiece {ntok} + {len(texts)} EOS")
        print(f"{model.split('/')[-1]} {label} ({mb:.1f} MB, {len(texts)} docs): sentencepiece encode {sp_best:.2f} s "
              f"({mb / sp_best:.2f} MB/s); llmdata tokenize whole command {ours_best:.2f} s ({mb / ours_best:.2f} MB/s): "
              f"{sp_best / ours_best:.1f}x sentencepiece (bar: 2x); without its load ({load:.3f} s): {enc_best:.2f} s, "
              f"{sp_best / enc_best:.1f}x")


if __name__ == "__main__":
    main()
