#!/usr/bin/env python3
"""Words of `llmdata filter --language NAME` (LLMDATA_FILTER_DEBUG=1 prints each document's words
as a JSON array on stderr) vs datatrove's load_word_tokenizer(NAME).word_tokenize(text), document
by document, for a FineWeb-2 name whose tokenizer is spaCy's blank(code) (models/spacy).

    check_spacy_words.py LLMDATA_BIN FILE.jsonl NAME [--floor X] [--limit N]

Prints identical documents / total and the first differences; exits 1 when the share of
identical documents is below --floor (default 1.0).
"""
import argparse, json, os, subprocess, sys

from datatrove.utils.word_tokenizers import load_word_tokenizer


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("file")
    ap.add_argument("name")
    ap.add_argument("--floor", type=float, default=1.0)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--show", type=int, default=5)
    a = ap.parse_args()
    rows = [json.loads(l) for l in open(a.file, encoding="utf-8") if l.strip()]
    if a.limit:
        rows = rows[: a.limit]
    inp = "".join(json.dumps({"text": r["text"]}, ensure_ascii=False) + "\n" for r in rows).encode()
    env = dict(os.environ, LLMDATA_FILTER_DEBUG="1")
    p = subprocess.run([a.bin, "filter", "-", "--language", a.name, "--annotate", "--quiet", "--jobs", "1"],
                       input=inp, capture_output=True, env=env)
    if p.returncode != 0:
        sys.exit(f"llmdata failed ({p.returncode}): {p.stderr.decode()[-2000:]}")
    ours = [json.loads(l) for l in p.stderr.decode().split("\n") if l.startswith("[")]
    if len(ours) != len(rows):
        sys.exit(f"{len(ours)} word lists for {len(rows)} documents")
    tok = load_word_tokenizer(a.name)
    same, shown = 0, 0
    for i, r in enumerate(rows):
        theirs = tok.word_tokenize(r["text"])
        if ours[i] == theirs:
            same += 1
            continue
        if shown < a.show:
            k = first_diff(ours[i], theirs)
            print(f"  doc {i}: word {k}: llmdata {ours[i][max(0, k - 2):k + 4]} datatrove {theirs[max(0, k - 2):k + 4]}")
            shown += 1
    share = same / len(rows) if rows else 1.0
    print(f"{a.name} {os.path.basename(a.file)}: {same}/{len(rows)} documents with identical words ({100 * share:.2f}%)")
    sys.exit(0 if share >= a.floor else 1)


if __name__ == "__main__":
    main()
