#!/usr/bin/env python3
"""models/thai/words_th.txt.zst: the dictionary newmm matches Thai words against, from the pinned
pythainlp (scripts/lib.sh PINS).

datatrove's ThaiTokenizer calls pythainlp's word_tokenize(engine="newmm-safe") without a custom
dictionary, so newmm uses word_dict_trie() = Trie(thai_words()), i.e. pythainlp/corpus/words_th.txt
with every entry stripped (Trie.add). The words are written as the trie holds them (iterating the
trie), sorted by code point, one per line, after a "#" header line; zstd level 19.

Usage: gen-thai-data.py [OUTDIR]   (default models/thai)
"""
import os
import sys

import pythainlp
import zstandard
from pythainlp.tokenize import word_dict_trie


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "models/thai"
    os.makedirs(out, exist_ok=True)
    words = sorted(w for w in word_dict_trie() if w)
    for w in words:
        if "\n" in w or "\r" in w:
            sys.exit(f"a dictionary word holds a line break: {w!r}")
    text = f"# pythainlp {pythainlp.__version__} word_dict_trie(): {len(words)} words\n" + "".join(w + "\n" for w in words)
    data = text.encode("utf-8")
    with open(os.path.join(out, "words_th.txt.zst"), "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(data))
    print(f"{out}/words_th.txt.zst: {len(words)} words, {len(data)} bytes before compression")


if __name__ == "__main__":
    main()
