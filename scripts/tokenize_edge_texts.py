#!/usr/bin/env python3
"""Writes edge-case texts for the tokenizer cross-checks as JSON Lines: whitespace runs, digits,
emoji and ZWJ sequences, combining marks, control characters, contractions, CRLF, long pieces,
and special-token look-alikes (exact special tokens, near misses, nested and back to back).

Usage: tokenize_edge_texts.py OUT.jsonl [SPECIAL_TOKEN...]  (the special tokens to mix in)
"""
import json
import random
import sys

out, specials = sys.argv[1], sys.argv[2:] or ["<|endoftext|>"]
rng = random.Random(16)
texts = [
    " ", "  ", "\n", "\n\n\n", "\t\t x", "a  b   c    d", "   leading", "trailing   ", "x \n \n y", "\r\n\r\nz\r\n",
    " \u00a0\u2003\u3000 wide spaces\u2028line\u2029para", "\x00\x01\x02\x1b[31mred\x1b[0m\x7f", "tab\tsep\tvalues\n1\t2\t3",
    "0", "12", "123", "1234", "12345678901234567890", "3.14159 2,718 1e-9 -42 +7 0x1F 1_000_000", "٠١٢٣٤٥ ١٢٣ ۱۲۳ १२३",
    "It's I'm you're we've they'll he'd IT'S YOU'RE 'tis o'clock rock'n'roll", "don't DON'T Don'T",
    "😀😃😄 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🇫🇷🇯🇵 ❤️ ✔︎", "e\u0301 a\u0308 n\u0303 \u0915\u094d\u0937 \u05e9\u05c1\u05b8", "Ａｌｐｈａ　ｗｉｄｅ　１２３",
    "ﬁnance ﬂow Ⅻ ㎏ ℃ ½", "İstanbul ǅ ß ΣΑΣ ς", "<|", "|>", "<||>", "< |endoftext| >", "<|endoftext", "endoftext|>",
    "<s></s><unk>[INST][/INST]", "<|im_start|>user\nhi<|im_end|>", "<<|endoftext|>>", "<|<|endoftext|>|>",
    "a" * 3000, "ab" * 1500 + " " + "字" * 2000, " " * 1000 + "x", "\n" * 500, "-" * 700 + "=" * 300,
    "https://example.com/a/b?c=d&e=f#g user@example.org /usr/local/bin/python3.11 C:\\Windows\\System32",
    "def f(x):\n    return x**2  # comment\n\n\nclass A:\n\tpass\n", "{\"k\": [1, 2, {\"n\": null}]}",
    "中文，标点。「引号」『書名』（括号）！？", "日本語のテキストとカタカナ、ひらがな。", "한국어 텍스트입니다.", "Ελληνικά русский עברית العربية ไทย",
]
for t in specials:
    texts += [t, f"a{t}b", f"{t}{t}", f" {t} ", f"x{t[:-1]} y", f"{t[1:]}", f"\n{t}\n", f"{t}123{t}😀"]
chars = list("abc XYZ 09\n\t.,'\"-_<|>éß字😀\u0301") + specials
for _ in range(60):
    texts.append("".join(rng.choice(chars) for _ in range(rng.randint(1, 80))))
open(out, "w").writelines(json.dumps({"text": t}) + "\n" for t in texts)
