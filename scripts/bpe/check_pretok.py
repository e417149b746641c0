"""Pre-tokenization of `llmdata bpe pretokenize` == Python's `regex` module == HF tokenizers.

usage: check_pretok.py LLMDATA_BIN PATTERN INPUT... [--all-codepoints]

For every record of the inputs (read as llmdata reads them), the pieces llmdata prints must equal
regex.findall() with the pattern as tiktoken ships it and with the pattern we write into
tokenizer.json, and HF tokenizers' Split with that pattern (Oniguruma). With --all-codepoints a
generated input also puts every code point assigned in Python's Unicode database into a few
contexts, and 30,000 random strings of edge-case characters test the ASCII fast path. Exits 1 on any difference and prints the first few.
"""
import json
import os
import subprocess
import sys
import tempfile
import unicodedata

sys.path.insert(0, os.path.dirname(__file__))
import regex  # noqa: E402
from patterns import PATTERNS, TIKTOKEN_PATTERNS  # noqa: E402
from records import records  # noqa: E402
from tokenizers import Regex, pre_tokenizers  # noqa: E402


def all_codepoints_file(d):
    """Every code point assigned in this Python's Unicode database (14.0 for Python 3.11, the
    version of Debian 12's PCRE2), 48 per record, each in contexts that exercise every
    alternative. Code points assigned later are classified by each engine's own tables
    (docs/bpe.md), so they are left out."""
    path = os.path.join(d, "codepoints.jsonl")
    cps = [c for c in range(0x110000)
           if not (0xD800 <= c <= 0xDFFF) and unicodedata.category(chr(c)) != "Cn"]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(0, len(cps), 48):
            parts = []
            for c in cps[i:i + 48]:
                ch = chr(c)
                parts.append(f"x{ch}y {ch}{ch}z 9{ch}99 's{ch}'S {ch}\t{ch}\n{ch}  ")
            f.write(json.dumps({"text": "".join(parts)}, ensure_ascii=False) + "\n")
    return path


def fuzz_file(d):
    """30,000 random strings over characters that sit on the patterns' decision points (ASCII
    letters of the contractions, digits, spaces, CR/LF, punctuation, and non-ASCII letters,
    marks, digits and spaces next to them): exercises the ASCII fast path's hand-over to PCRE2."""
    import random
    alpha = ["a", "Z", "q", "'", "s", "S", "t", "l", "L", "e", "E", "v", "r", "R", "d", "m", "1", "2", "3", " ", " ",
             "\t", "\n", "\r", "\x0b", "!", "/", ".", "\x7f", "\x1f", "é", "ſ", "\xa0", "\x85", "٣", "²", "中",
             "\u0301", "\u2028", "\u180e", "É", "ǅ", "ʰ"]
    rnd = random.Random(7)
    path = os.path.join(d, "fuzz.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(30000):
            t = "".join(rnd.choice(alpha) for _ in range(rnd.randrange(1, 30)))
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    return path


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    bin_, pattern, inputs = args[0], args[1], args[2:]
    with tempfile.TemporaryDirectory() as d:
        if "--all-codepoints" in sys.argv:
            inputs = inputs + [all_codepoints_file(d), fuzz_file(d)]
        refs = {"regex(tiktoken pattern)": regex.compile(TIKTOKEN_PATTERNS[pattern]),
                "regex(written pattern)": regex.compile(PATTERNS[pattern])}
        hf = pre_tokenizers.Split(Regex(PATTERNS[pattern]), behavior="isolated", invert=False)
        bad = {k: 0 for k in list(refs) + ["hf Split (Oniguruma)"]}
        shown = 0
        total = 0
        pieces = 0
        for path in inputs:
            out = subprocess.run([bin_, "bpe", "pretokenize", "--pattern", pattern, path],
                                 check=True, capture_output=True).stdout.decode("utf-8").split("\n")[:-1]
            texts = list(records([path]))
            if len(out) != len(texts):
                print(f"{path}: llmdata printed {len(out)} records, expected {len(texts)}")
                sys.exit(1)
            for text, line in zip(texts, out):
                mine = json.loads(line)
                total += 1
                pieces += len(mine)
                cands = {k: r.findall(text) for k, r in refs.items()}
                cands["hf Split (Oniguruma)"] = [p for p, _ in hf.pre_tokenize_str(text)]
                for k, ref in cands.items():
                    if ref != mine:
                        bad[k] += 1
                        if shown < 5:
                            shown += 1
                            i = next((j for j, (a, b) in enumerate(zip(mine, ref)) if a != b), min(len(mine), len(ref)))
                            print(f"  {pattern} vs {k} in {path}: llmdata {mine[max(0, i-2):i+3]!r} ref {ref[max(0, i-2):i+3]!r}")
        status = "OK" if not any(bad.values()) else "MISMATCH"
        detail = ", ".join(f"{k}: {v} differ" for k, v in bad.items())
        print(f"pretokenize {pattern}: {total} records, {pieces} pieces; {detail} -> {status}")
        sys.exit(0 if status == "OK" else 1)


if __name__ == "__main__":
    main()
