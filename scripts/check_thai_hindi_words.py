#!/usr/bin/env python3
"""Thai and Hindi words: llmdata's ports (ThaiNewmm.swift, IndicTrivial.swift) against datatrove,
document by document.

llmdata prints each document's words with LLMDATA_FILTER_DEBUG=1 (`llmdata filter --language NAME
--annotate --jobs 1`, one JSON array per document on stderr); datatrove's are
`load_word_tokenizer(NAME).word_tokenize(text)`: for tha_Thai pythainlp's
word_tokenize(engine="newmm-safe", keep_whitespace=False), for hin_Deva indic-nlp-library's
trivial_tokenize(text, "hi"), each then strip_strings. Reports the share of documents whose word
lists are identical and the first differences; exits 1 below the floor (default 1.0).

Usage: check_thai_hindi_words.py LLMDATA_BIN FILE.jsonl NAME [--floor X] [--only ISO] [--show N]
  --only ISO   keep only the documents whose metadata.language is ISO (th, hi)
"""
import json
import os
import subprocess
import sys
import tempfile
import time


def main():
    binary, path, name = sys.argv[1], sys.argv[2], sys.argv[3]
    args = sys.argv[4:]
    floor = float(args[args.index("--floor") + 1]) if "--floor" in args else 1.0
    only = args[args.index("--only") + 1] if "--only" in args else None
    show = int(args[args.index("--show") + 1]) if "--show" in args else 3
    texts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            if only and (row.get("metadata") or {}).get("language") != only:
                continue
            texts.append(row["text"])
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as f:
        for t in texts:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
        inp = f.name
    env = dict(os.environ, LLMDATA_FILTER_DEBUG="1")
    t0 = time.perf_counter()
    p = subprocess.run([binary, "filter", inp, "--annotate", "--quiet", "--jobs", "1", "--rules", "gopher_repetition",
                        "--language", name], env=env, capture_output=True)
    t_ll = time.perf_counter() - t0
    os.unlink(inp)
    if p.returncode != 0:
        sys.stderr.write(p.stderr.decode(errors="replace")[-2000:])
        sys.exit(f"llmdata exited {p.returncode}")
    ours = [json.loads(l) for l in p.stderr.decode().split("\n")[:-1] if l.startswith("[")]
    if len(ours) != len(texts):
        sys.exit(f"llmdata printed {len(ours)} word lists for {len(texts)} documents")

    from datatrove.utils.word_tokenizers import load_word_tokenizer
    tok = load_word_tokenizer(name)
    tok.word_tokenize("ทดสอบ ๑")  # loads the dictionary outside the timing
    t0 = time.perf_counter()
    theirs = [tok.word_tokenize(t) for t in texts]
    t_dt = time.perf_counter() - t0

    same = 0
    shown = 0
    words = 0
    for i, (a, b) in enumerate(zip(ours, theirs)):
        words += len(b)
        if a == b:
            same += 1
            continue
        if shown < show:
            shown += 1
            k = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
            print(f"  document {i}: first difference at word {k} of {len(b)} (datatrove) / {len(a)} (llmdata)")
            print(f"    datatrove: {json.dumps(b[max(0, k - 3):k + 5], ensure_ascii=False)}")
            print(f"    llmdata:   {json.dumps(a[max(0, k - 3):k + 5], ensure_ascii=False)}")
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    share = same / len(texts) if texts else 1.0
    print(f"{path} ({name}): {same}/{len(texts)} documents with identical word lists ({share:.4%}), {words} words, "
          f"{mb:.2f} MB; llmdata {t_ll:.2f} s (whole filter run), datatrove {t_dt:.2f} s")
    sys.exit(0 if share >= floor else 1)


if __name__ == "__main__":
    main()
