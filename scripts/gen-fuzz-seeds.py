#!/usr/bin/env python3
"""Writes the fuzz seed corpora, fixtures/fuzz/<harness>/, from the repository's fixtures.

Regenerate (deterministic; the shards seeds need an llmdata binary):

    python3 scripts/gen-fuzz-seeds.py [--llmdata .build/release/llmdata]

Each seed is small (a few KB): libFuzzer's default -max_len is the largest seed, and short inputs
run fast. Byte 0 of a records/compressed/tokenizer/shards seed selects the harness's options
(see Sources/FuzzHarnesses/*.swift); parquet seeds are plain Parquet files. Every seed set is
replaced as a whole; fixtures/fuzz/crashes/ (reproducers of crashes found) is left alone.
"""
import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FX = os.path.join(ROOT, "fixtures")
OUT = os.path.join(FX, "fuzz")


def reset(name):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def put(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def small_records(path, n, cut=160):
    """The first n records of a JSON Lines fixture, texts cut to `cut` characters."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            r["text"] = r["text"][:cut]
            out.append(r)
            if len(out) == n:
                break
    return out


def jsonl(records):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def records_seeds():
    d = reset("records")
    en = small_records(os.path.join(FX, "sample/en.jsonl"), 3)
    ml = small_records(os.path.join(FX, "sample/multilingual.jsonl"), 4, 60)
    zh = small_records(os.path.join(FX, "sample/zh-web.jsonl"), 2, 80)
    lang = small_records(os.path.join(FX, "langid/dev-sample.jsonl"), 3, 40)
    body = jsonl(en[:2] + ml[:2])
    # flags: bits 0-2 format, 3 repair-utf8, 4 64-byte batches, 5 max-line-bytes 40, 6 text field "body"
    put(d, "jsonl", b"\x00" + body)
    put(d, "jsonl-small-batches", b"\x10" + jsonl(ml + lang))
    put(d, "jsonl-crlf-blank-bom", b"\x00" + b"\xef\xbb\xbf" + body.replace(b"\n", b"\r\n", 2) + b"\n  \n" + jsonl(zh[:1]))
    put(d, "jsonl-max-line", b"\x20" + jsonl(lang) + jsonl(en[:1]))
    bad = (b'{"text": "ok"}\n{"text": 5}\n[1,2]\n{"id": 7}\n{"text": "caf\xe9 \\ud800 x"}\n{"text": "a", "text": "b"}\n'
           b'{"text": "x", "metadata": {"source": "s", "n": [1, {"a": null}]}, "url": "http://e/\\u00e9"}\n{"text": "unterminated\n')
    put(d, "jsonl-bad", b"\x00" + bad)
    put(d, "jsonl-bad-repair", b"\x08" + bad)
    put(d, "jsonl-body-field", b"\x40" + b'{"body": "a body", "id": {"n": 1}}\n{"text": "no body"}\n')
    arr = ("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False, indent=1) for r in ml[:3]) + "\n]\n").encode()
    put(d, "json-array", b"\x01" + arr)
    put(d, "json-array-small-batches", b"\x11" + arr)
    put(d, "json-array-unclosed", b"\x01" + b'[{"text": "a"}, {"text": "b\\"]"},\t{"text":\n"c"}, 3, "s"')
    put(d, "json-lines", b"\x01" + body)
    text = "\n".join(r["text"].replace("\n", " ") for r in ml + zh).encode()
    put(d, "txt-line", b"\x02" + text + b"\n\n\r\n" + b"\xff\xfe broken \xe2\x82\n")
    put(d, "txt-paragraph", b"\x03" + en[0]["text"].encode() + b"\n\n\n" + zh[0]["text"].encode() + b"\r\n\r\nlast")
    put(d, "txt-paragraph-max-line", b"\x23" + text)
    put(d, "txt-file", b"\x04" + text + b"\r\n\n")


def parquet_seeds():
    d = reset("parquet")
    src = os.path.join(FX, "parquet")
    for name in sorted(os.listdir(src)):
        if name.endswith(".parquet"):
            shutil.copyfile(os.path.join(src, name), os.path.join(d, name))


def zstd(data, *extra):
    return subprocess.run(["zstd", "-q", "-c", *extra], input=data, stdout=subprocess.PIPE, check=True).stdout


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def compressed_seeds():
    d = reset("compressed")
    data = jsonl(small_records(os.path.join(FX, "sample/multilingual.jsonl"), 4, 80))
    # flags: bits 0-1 source (0 zstd, 1 gzip, 2 open .zst, 3 open .gz), 2-4 piece size, 5-7 read buffer
    z = zstd(data, "-3")
    g = gz(data)
    put(d, "zstd", bytes([0b111_111_00]) + z)
    put(d, "zstd-pieces-1-buf-5", bytes([0b010_000_00]) + z)
    put(d, "zstd-two-frames-checksum", bytes([0b011_100_00]) + zstd(data[:100], "--check") + zstd(data[100:], "--no-check"))
    put(d, "zstd-truncated", bytes([0b101_101_00]) + z[: len(z) - 7])
    put(d, "zstd-open", bytes([0b101_111_10]) + z)
    put(d, "gzip", bytes([0b111_111_01]) + g)
    put(d, "gzip-pieces-3-buf-16", bytes([0b011_010_01]) + g)
    put(d, "gzip-two-members", bytes([0b101_100_01]) + g + gz(b'{"text": "second member"}\n'))
    put(d, "gzip-trailing-garbage", bytes([0b100_110_01]) + g + b"\x00\x00garbage")
    put(d, "gzip-truncated", bytes([0b101_101_01]) + g[: len(g) - 9])
    put(d, "gzip-open", bytes([0b101_111_11]) + g)
    put(d, "zlib-open", bytes([0b101_111_11]) + __import__("zlib").compress(data))


def trimmed_tokenizer(name, keep_merges, tweak=None):
    """A fixtures/bpe/hf tokenizer.json cut to its added tokens, the 256 byte tokens and the first
    merges (and the tokens they make), written compact."""
    with open(os.path.join(FX, "bpe/hf", name), encoding="utf-8") as f:
        t = json.load(f)
    m = t["model"]
    vocab = m["vocab"]
    base = {k: v for k, v in vocab.items() if v < 256 + len(t["added_tokens"])}
    merges = []
    for mg in m["merges"]:
        a, b = mg.split(" ", 1) if isinstance(mg, str) else mg
        if a in base and b in base and a + b in vocab:
            base[a + b] = vocab[a + b]
            merges.append(mg)
            if len(merges) == keep_merges:
                break
    m["vocab"] = base
    m["merges"] = merges
    if tweak:
        tweak(t)
    return json.dumps(t, ensure_ascii=False, separators=(",", ":")).encode()


def tokenizer_seeds():
    d = reset("tokenizer")
    # flags: bits 0-1 loader (0 loadTokenizerJSON, 1 ByteLevelBPEFile.parse, 2 loadTiktoken, 3 loadSentencePiece),
    # 2-4 tiktoken pattern (0 inferred, 1 gpt2 .. 5 qwen2), 5 encode + decode, 6 allow special
    gpt2 = trimmed_tokenizer("gpt2-700.json", 24)
    cl = trimmed_tokenizer("cl100k-1000-special.json", 24)
    o2 = trimmed_tokenizer("o200k-900-min3.json", 24)

    def llama_like(t):
        t["normalizer"] = {"type": "NFC"}
        t["model"]["ignore_merges"] = True
        t["added_tokens"].append({"id": 999, "content": "<think>", "single_word": False, "lstrip": False, "rstrip": False,
                                  "normalized": False, "special": False})
        t["post_processor"] = {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True},
            {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}},
                                                      {"Sequence": {"id": "A", "type_id": 0}}]}]}
        t["model"]["merges"] = [m.split(" ", 1) if isinstance(m, str) else m for m in t["model"]["merges"]]

    def prefix_space(t):
        t["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": True, "use_regex": False}

    llama = trimmed_tokenizer("cl100k-1000-special.json", 16, llama_like)
    put(d, "json-gpt2", b"\x20" + gpt2)
    put(d, "json-cl100k-special", b"\x60" + cl)
    put(d, "json-o200k", b"\x20" + o2)
    put(d, "json-llama-like", b"\x60" + llama)
    put(d, "json-prefix-space", b"\x20" + trimmed_tokenizer("gpt2-700.json", 8, prefix_space))
    put(d, "bpefile-cl100k", b"\x01" + cl)
    put(d, "bpefile-llama-like", b"\x01" + llama)
    with open(os.path.join(FX, "tokenize/gpt2.tiktoken"), "rb") as f:
        ranks = f.read().split(b"\n")[:300]
    tik = b"\n".join(ranks) + b"\n"
    put(d, "tiktoken-gpt2", bytes([2 | 1 << 2 | 1 << 5]) + tik)
    put(d, "tiktoken-inferred", bytes([2 | 0 << 2 | 1 << 5 | 1 << 6]) + tik)
    put(d, "tiktoken-llama3", bytes([2 | 4 << 2 | 1 << 5 | 1 << 6]) + tik)
    put(d, "tiktoken-qwen2", bytes([2 | 5 << 2 | 1 << 5]) + tik)
    put(d, "tiktoken-cl100k-bad", bytes([2 | 2 << 2]) + tik[:400] + b"not base64 7\n")
    with open(os.path.join(FX, "tokenize/sp-bpe.model"), "rb") as f:
        put(d, "sentencepiece-bpe", bytes([3 | 1 << 5]) + f.read())

    # tokenizer.json pipelines: normalizers, a Sequence of Splits (DeepSeek-V3's three), added
    # tokens with HF's flags, and a character-level model with Metaspace and byte fallback
    deepseek_split = ["\\p{N}{1,3}", "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
                      "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"]

    def pipelines(t):
        t["normalizer"] = {"type": "Sequence", "normalizers": [
            {"type": "NFKC"}, {"type": "Replace", "pattern": {"String": "``"}, "content": "\""},
            {"type": "Strip", "strip_left": True, "strip_right": False}, {"type": "Lowercase"}]}
        t["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": r}, "behavior": "Isolated", "invert": False} for r in deepseek_split] + [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
        t["added_tokens"] += [
            {"id": 990, "content": "<tool>", "single_word": True, "lstrip": True, "rstrip": True, "normalized": True, "special": False},
            {"id": 991, "content": "[SEP]", "single_word": False, "lstrip": False, "rstrip": True, "normalized": False, "special": True}]
        t["post_processor"] = {"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A", "type_id": 0}},
                                                                        {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}],
                               "pair": [], "special_tokens": {}}

    put(d, "json-pipelines", b"\x60" + trimmed_tokenizer("cl100k-1000-special.json", 24, pipelines))
    chars = "abcdefghijklmnopqrstuvwxyz .,\u2581\u65e5\u672c"
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for c in chars:
        vocab.setdefault(c, len(vocab))
    merges = [["\u2581", "t"], ["h", "e"], ["\u2581t", "he"], ["i", "n"], ["\u2581", "in"]]
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    metaspace = {"version": "1.0", "added_tokens": [
        {"id": 0, "content": "<unk>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}],
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                                                           {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True},
        "post_processor": None, "decoder": None,
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": merges}}
    put(d, "json-metaspace-bytefallback", b"\x60" + json.dumps(metaspace, ensure_ascii=False, separators=(",", ":")).encode())

    # a Tekken file: the first 300 GPT-2 ranks as its vocabulary, Tekken's pattern, 4 special tokens
    import base64
    merged = [base64.b64decode(l.split(b" ")[0]) for l in ranks if l]
    toks = [bytes([b]) for b in range(256)] + [t for t in merged if len(t) > 1]
    tvocab = [{"rank": i, "token_bytes": base64.b64encode(t).decode(), "token_str": None} for i, t in enumerate(toks)]
    tekken = {"config": {"pattern": "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
                         "num_vocab_tokens": len(tvocab), "default_vocab_size": len(tvocab) + 4, "default_num_special_tokens": 4,
                         "version": "v3"},
              "vocab": tvocab,
              "special_tokens": [{"rank": i, "token_str": s, "is_control": True} for i, s in enumerate(["<unk>", "<s>", "</s>", "[INST]"])]}
    put(d, "tekken-small", bytes([2 | 7 << 2 | 1 << 5]) + json.dumps(tekken, separators=(",", ":")).encode())
    return tik


def section(b):
    return struct.pack("<I", len(b)) + b


def shards_seeds(llmdata, tik):
    d = reset("shards")
    recs = small_records(os.path.join(FX, "sample/multilingual.jsonl"), 6, 50)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.jsonl")
        with open(src, "wb") as f:
            f.write(jsonl(recs))
        tok = os.path.join(tmp, "ranks.tiktoken")
        with open(tok, "wb") as f:
            f.write(tik)
        # a ranks file of its own names its special tokens in a sidecar (tokenize never guesses them)
        with open(tok + ".json", "w") as f:
            json.dump({"pattern": "gpt2", "special_tokens": {"<|endoftext|>": 300}}, f)
        variants = [("eos-ids", ["--ids"]), ("bos-eos", ["--bos", "<|endoftext|>"]), ("no-eos", ["--eos", "none"])]
        for name, extra in variants:
            out = os.path.join(tmp, name)
            subprocess.run([llmdata, "tokenize", src, "--tiktoken", tok, "--pattern", "gpt2", "-o", out, "--frame-tokens", "24",
                            "--jobs", "1", "--quiet"] + extra, check=True)
            with open(os.path.join(out, "manifest.json")) as f:
                m = json.load(f)
            assert len(m["shards"]) == 1, name
            m["tokenizer"]["path"] = "ranks.tiktoken"  # not the temporary directory's
            if "sidecar" in m["tokenizer"]:
                m["tokenizer"]["sidecar"] = "ranks.tiktoken.json"
            manifest = json.dumps(m, indent=2, sort_keys=True).encode()

            def read(n):
                p = os.path.join(out, n)
                return open(p, "rb").read() if os.path.exists(p) else b""
            files = [read("shard-00000.idx"), read("shard-00000.tok.zst"), read("shard-00000.ids")]
            body = section(manifest) + b"".join(section(b) for b in files)
            # flag bit 0: the harness sets the SHA-256s and sizes of shard 0 to the files'
            put(d, name, b"\x00" + body)
            put(d, name + "-fixup", b"\x01" + body)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llmdata", default=os.environ.get("LLMDATA_BIN", os.path.join(ROOT, ".build/release/llmdata")))
    a = ap.parse_args()
    if not os.access(a.llmdata, os.X_OK):
        sys.exit(f"gen-fuzz-seeds: {a.llmdata}: no llmdata binary (make build, or pass --llmdata)")
    records_seeds()
    parquet_seeds()
    compressed_seeds()
    tik = tokenizer_seeds()
    shards_seeds(a.llmdata, tik)
    for h in ["records", "parquet", "compressed", "tokenizer", "shards"]:
        p = os.path.join(OUT, h)
        files = sorted(os.listdir(p))
        print(f"{h}: {len(files)} seeds, {sum(os.path.getsize(os.path.join(p, f)) for f in files)} bytes")


if __name__ == "__main__":
    main()
