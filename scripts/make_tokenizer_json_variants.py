#!/usr/bin/env python3
"""Builds tokenizer.json files that cover every component llmdata's tokenizer.json loader supports,
plus files with components it must refuse, and texts that exercise them.

Byte-level variants start from a real file (BASE, e.g. anthropic.tokenizer.json: byte-level BPE)
with its normalizer, pre-tokenizer, added tokens and post-processor swapped; HF tokenizers loads
each one (so every file is one HF accepts). Character-level variants (no ByteLevel: Metaspace with
byte fallback in the Llama 2 style, continuing_subword_prefix / end_of_word_suffix, unk_token with
and without fuse_unk) are trained with HF's BpeTrainer on TRAIN_TEXT.

Writes OUTDIR/NAME.json, OUTDIR/supported.tsv (name, extra llmdata tokenize flags),
OUTDIR/refused.tsv (name, the word the error must name) and OUTDIR/edge.jsonl.

Usage: make_tokenizer_json_variants.py BASE.json TRAIN_TEXT.jsonl OUTDIR
"""
import copy
import json
import os
import sys

from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers, trainers

base_path, train_path, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
base = json.load(open(base_path, encoding="utf-8"))
BL = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}
BL_RE = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
WORDS = r"[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"


def tok(content, i, special=False, normalized=None, lstrip=False, rstrip=False, single_word=False):
    return {"id": i, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": (not special) if normalized is None else normalized, "special": special}


def split(pattern, behavior="Isolated", invert=False, string=False):
    return {"type": "Split", "pattern": {"String" if string else "Regex": pattern}, "behavior": behavior, "invert": invert}


def seq(*p):
    return {"type": "Sequence", "pretokenizers": list(p)}


def nseq(*n):
    return {"type": "Sequence", "normalizers": list(n)}


n0 = len(base["model"]["vocab"])
ADDED = [tok("<s>", n0, special=True), tok("</s>", n0 + 1, special=True), tok("<|sys|>", n0 + 2, special=True),
         tok("[MASK]", n0 + 3, lstrip=True, rstrip=True), tok("<tool>", n0 + 4, rstrip=True),
         tok("<sep>", n0 + 5, lstrip=True), tok("cat", n0 + 6, single_word=True), tok("Hello", n0 + 7, normalized=True),
         tok("<raw>", n0 + 8, normalized=False), tok("<|sys|>x", n0 + 9)]
TEMPLATE = {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [n0], "tokens": ["<s>"]},
                               "</s>": {"id": "</s>", "ids": [n0 + 1], "tokens": ["</s>"]}}}

supported = []


def variant(name, normalizer=None, pre=None, added=None, post=None, model=None, flags=""):
    d = copy.deepcopy(base)
    d["normalizer"] = normalizer
    d["pre_tokenizer"] = pre
    d["added_tokens"] = ADDED if added is None else added
    d["post_processor"] = post
    d["decoder"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    for k, v in (model or {}).items():
        d["model"][k] = v
    p = os.path.join(out, name + ".json")
    json.dump(d, open(p, "w", encoding="utf-8"), ensure_ascii=False)
    Tokenizer.from_file(p)  # HF must accept it
    supported.append((name, flags))


# normalizers
variant("nfc", {"type": "NFC"}, BL_RE)
variant("nfd", {"type": "NFD"}, BL_RE)
variant("nfkc", {"type": "NFKC"}, BL_RE)
variant("nfkd-lowercase", nseq({"type": "NFKD"}, {"type": "Lowercase"}), BL_RE)
variant("replace-strip-prepend", nseq({"type": "Replace", "pattern": {"String": "  "}, "content": " "},
                                      {"type": "Replace", "pattern": {"Regex": r"\d+"}, "content": "#"},
                                      {"type": "Strip", "strip_left": True, "strip_right": True},
                                      {"type": "Prepend", "prepend": "\u2581"}), BL_RE)
variant("strip-left", {"type": "Strip", "strip_left": True, "strip_right": False}, BL_RE)
variant("strip-right", {"type": "Strip", "strip_left": False, "strip_right": True}, BL_RE)
# pre-tokenizers
variant("bytelevel-prefix", None, {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True})
variant("bytelevel-noregex", None, BL)
variant("split-then-prefix", None, seq(split(WORDS), {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": False}))
for behavior in ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]:
    for invert in (False, True):
        variant(f"split-{behavior.lower()}{'-invert' if invert else ''}", None,
                seq(split(r"\s+|[.,!?;:]", behavior, invert), BL_RE))
variant("split-string", None, seq(split(" ", "MergedWithNext", string=True), BL))
variant("split-string-removed", None, seq(split(", ", "Removed", string=True), BL_RE))
variant("split-empty-matches", None, seq(split(r"(?=[A-Z])|x*", "Isolated"), BL))
variant("split-empty-matches-merged", None, seq(split(r"(?=[A-Z])", "MergedWithNext"), BL_RE))
variant("split-class-runs", None, seq(split(r"\p{N}{1,3}"), split(r"[一-龥\u3040-ゟ゠-ヿ]+"), split(r"\p{L}{2,4}"), BL_RE))
variant("digits-individual", None, seq({"type": "Digits", "individual_digits": True}, BL_RE))
variant("digits-contiguous", None, seq({"type": "Digits", "individual_digits": False}, BL))
variant("whitespace", None, seq({"type": "Whitespace"}, BL))
variant("whitespace-split", None, seq({"type": "WhitespaceSplit"}, BL))
variant("punctuation", None, seq({"type": "Punctuation", "behavior": "Contiguous"}, BL_RE))
variant("punctuation-isolated", None, seq({"type": "Punctuation", "behavior": "Isolated"}, {"type": "Digits", "individual_digits": True}, BL))
variant("metaspace-bytelevel", None, seq({"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True}, BL))
# added tokens: the special ones only with --allow-special; normalized tokens under Lowercase
variant("added-allow-special", None, BL_RE, flags="--allow-special")
variant("added-lowercase", {"type": "Lowercase"}, BL_RE, flags="--allow-special")
variant("added-lowercase-nospecial", {"type": "Lowercase"}, BL_RE)
# model fields, post-processor
variant("ignore-merges", None, seq(split(WORDS), BL), model={"ignore_merges": True})
variant("template", None, BL_RE, post=TEMPLATE, flags="--bos <s> --eos </s>")
variant("template-in-sequence", None, BL_RE, flags="--bos <s>",
        post={"type": "Sequence", "processors": [{"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True},
                                                 dict(TEMPLATE, single=TEMPLATE["single"][:2])]})

# character-level BPE models trained by HF
train = [json.loads(line)["text"] for line in open(train_path, encoding="utf-8") if line.strip()]


def trained(name, pre, trainer_args, model_args, edit=None, normalizer=None, flags=""):
    t = Tokenizer(models.BPE(**model_args))
    t.pre_tokenizer = pre
    t.train_from_iterator(train, trainers.BpeTrainer(show_progress=False, **trainer_args))
    if normalizer is not None:
        t.normalizer = normalizer
    d = json.loads(t.to_str())
    if edit:
        edit(d)
    p = os.path.join(out, name + ".json")
    json.dump(d, open(p, "w", encoding="utf-8"), ensure_ascii=False)
    Tokenizer.from_file(p)
    supported.append((name, flags))


def byte_fallback(d):
    # the 256 <0xXX> tokens after the vocabulary, as Llama 2's files have them
    v = d["model"]["vocab"]
    n = len(v)
    for b in range(256):
        v.setdefault(f"<0x{b:02X}>", n + b)
    d["model"]["byte_fallback"] = True


alphabet = sorted(set("".join(train)))[:400]
for scheme in ("first", "always", "never"):
    for sp in (True, False):
        trained(f"metaspace-{scheme}{'-split' if sp else ''}-bytefallback",
                pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme=scheme, split=sp),
                dict(vocab_size=1500, special_tokens=["<unk>", "<s>", "</s>"], limit_alphabet=300),
                dict(unk_token="<unk>", byte_fallback=False, fuse_unk=True), edit=byte_fallback)
trained("unk-fused", pre_tokenizers.Whitespace(), dict(vocab_size=800, special_tokens=["<unk>"], limit_alphabet=120),
        dict(unk_token="<unk>", fuse_unk=True))
trained("unk-unfused", pre_tokenizers.WhitespaceSplit(), dict(vocab_size=800, special_tokens=["<unk>"], limit_alphabet=120),
        dict(unk_token="<unk>", fuse_unk=False))
trained("prefix-suffix", pre_tokenizers.Whitespace(),
        dict(vocab_size=1500, special_tokens=["<unk>"], continuing_subword_prefix="##", end_of_word_suffix="</w>", limit_alphabet=300),
        dict(unk_token="<unk>", continuing_subword_prefix="##", end_of_word_suffix="</w>"))
trained("prefix-only-ignore-merges", pre_tokenizers.Punctuation(),
        dict(vocab_size=1500, special_tokens=["<unk>"], continuing_subword_prefix="##", limit_alphabet=300),
        dict(unk_token="<unk>", continuing_subword_prefix="##", ignore_merges=True))



def repeat_merges(d):
    # the first 40 merges repeated at the end: HF keeps a repeated pair's later rank
    m = d["model"]["merges"]
    m.extend(m[:40])


trained("repeated-merges", pre_tokenizers.Whitespace(), dict(vocab_size=800, special_tokens=["<unk>"], limit_alphabet=120),
        dict(unk_token="<unk>"), edit=repeat_merges)

# special tokens matched at the start of a text change where Metaspace's "first" prefix goes
supported.append(("metaspace-first-split-bytefallback", "--allow-special"))
supported.append(("prefix-suffix", "--allow-special"))
open(os.path.join(out, "supported.tsv"), "w").writelines(f"{n}\t{f}\n" for n, f in supported)

# refused: each file differs from a supported one by one component, which the error must name
refused = []


def refuse(name, word, **changes):
    d = copy.deepcopy(base)
    d["added_tokens"] = ADDED
    d["pre_tokenizer"] = BL_RE
    for k, v in changes.items():
        if k == "model":
            d["model"].update(v)
        else:
            d[k] = v
    json.dump(d, open(os.path.join(out, name + ".json"), "w", encoding="utf-8"), ensure_ascii=False)
    refused.append((name, word))


for n in ["BertNormalizer", "StripAccents", "NMT", "ByteLevel"]:
    refuse(f"refuse-normalizer-{n}", n, normalizer={"type": n})
refuse("refuse-normalizer-Precompiled", "Precompiled", normalizer={"type": "Precompiled", "precompiled_charsmap": ""})
refuse("refuse-normalizer-in-sequence", "StripAccents", normalizer=nseq({"type": "NFC"}, {"type": "StripAccents"}))
for p in ["BertPreTokenizer", "UnicodeScripts"]:
    refuse(f"refuse-pre-{p}", p, pre_tokenizer=seq({"type": p}, BL))
refuse("refuse-pre-CharDelimiterSplit", "CharDelimiterSplit", pre_tokenizer=seq({"type": "CharDelimiterSplit", "delimiter": " "}, BL))
refuse("refuse-pre-FixedLength", "FixedLength", pre_tokenizer=seq({"type": "FixedLength", "length": 5}, BL))
refuse("refuse-pre-after-bytelevel", "after ByteLevel", pre_tokenizer=seq(BL, {"type": "Digits", "individual_digits": True}))
refuse("refuse-dropout", "dropout", model={"dropout": 0.1})
# \w and \b: Oniguruma's word characters differ from PCRE2's (e.g. on ² or Ⅸ)
refuse("refuse-regex-word", "\\w", pre_tokenizer=seq(split(r"\w+|[^\w\s]+"), BL))
refuse("refuse-regex-boundary", "\\b", normalizer={"type": "Replace", "pattern": {"Regex": r"\bx"}, "content": "y"})
refuse("refuse-model-WordPiece", "WordPiece", model={"type": "WordPiece"})
refuse("refuse-model-Unigram", "Unigram", model={"type": "Unigram"})
refuse("refuse-post-BertProcessing", "BertProcessing", post_processor={"type": "BertProcessing", "sep": ["</s>", n0 + 1], "cls": ["<s>", n0]})
refuse("refuse-post-RobertaProcessing", "RobertaProcessing",
       post_processor={"type": "RobertaProcessing", "sep": ["</s>", n0 + 1], "cls": ["<s>", n0], "trim_offsets": True, "add_prefix_space": False})
refuse("refuse-template-two-before", "TemplateProcessing",
       post_processor=dict(TEMPLATE, single=[TEMPLATE["single"][0], TEMPLATE["single"][0], TEMPLATE["single"][1]]))
refuse("refuse-truncation", "truncation", truncation={"max_length": 8, "strategy": "LongestFirst", "stride": 0, "direction": "Right"})
refuse("refuse-padding", "padding", padding={"strategy": "BatchLongest", "direction": "Right", "pad_to_multiple_of": None,
                                             "pad_id": 0, "pad_type_id": 0, "pad_token": "<s>"})
open(os.path.join(out, "refused.tsv"), "w").writelines(f"{n}\t{w}\n" for n, w in refused)

# texts around the components: whitespace runs, digits, emoji, combining marks, control
# characters, full-width and compatibility forms, added and special tokens and near misses
edge = ["", " ", "  leading and trailing  ", "a\tb\r\nc\n\n\nd   \n  e", "\u3000wide\u3000space\u00a0nbsp\u2009thin",
        "1 12 123 1234 12345 3.14159 1,000,000 ²³ ½ Ⅻ ١٢٣ ０１２", "emoji 👍🏽 👨‍👩‍👧 🇫🇷 ok", "e\u0301 n\u0303 a\u0308\u0304 Å Å",
        "ﬁ ﬀ Ⅸ ㎏ ｶﾀｶﾅ ＡＢＣ ①", "ctrl\x01\x02\x7f\x1b[0m end", "ΑΣ ΣΊΣΥΦΟΣ İstanbul ǅ ẞ", "Hello HELLO hello hElLo",
        "<s>text</s> <|sys|> <|sys|>x <s </s <|sys", "a [MASK] b  [MASK]  c[MASK]d", "call <tool>   {\"x\": 1}", "x   <sep>y",
        "cat concat cats the cat. (cat) cat_x", "<raw> <RAW> <Raw>", "tabs\t\t\tand  spaces    mixed \n",
        "混合テキスト with 中文 and ひらがな カタカナ 한국어", "mañana—über naïve café ‘quotes’ “double” …", "a,b, c ,d , e",
        "word" * 40, "x" + " " * 70 + "y", "!!!???...,,,;;;::: -- ---", "#hashtag @user https://example.com/a?b=c&d=e"]
with open(os.path.join(out, "edge.jsonl"), "w", encoding="utf-8") as f:
    for t in edge:
        f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
print(f"{len(supported)} supported, {len(refused)} refused tokenizer.json files in {out}")
