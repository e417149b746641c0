#!/usr/bin/env python3
"""Cross-checks `llmdata tokenize` with tiktoken (GPT-2 ranks) and HF tokenizers.

For every record: the ids in the shards (read by scripts/shards_reader.py, numpy + zstandard)
equal the reference's `encode_ordinary` / `encode(add_special_tokens=False)` ids followed by EOS,
and decoding gives back the text. Also checks `shards verify` and the Megatron export with a reader
written from Megatron's published .idx layout.

With `--bos TOKEN` every document must start with that token: for a tokenizer.json, the reference
is then HF's `encode(add_special_tokens=True)`, i.e. the file's own post-processor must put that
token first (as Llama 3's TemplateProcessing does).

The tiktoken patterns llama3 and qwen2 are those of Llama 3's tokenizer.model (Meta's
tokenizer.py) and Qwen's qwen.tiktoken, with their special tokens after the ranks.

Named tiktoken encodings (`--encoding E`): the reference is `tiktoken.Encoding` built from
tiktoken's own constructor in tiktoken_ext/openai_public.py (pat_str, special tokens,
explicit_n_vocab) with the ranks read from FILE (load_tiktoken_bpe checks tiktoken's expected
SHA-256), or for llama3/llama4 Meta's Tokenizer class from llama_models' tokenizer.py (its
tiktoken Encoding: Meta's encode also cuts runs of 25,000 characters, which these texts do not
have). A ranks file with a sidecar FILE.json is checked against tiktoken.Encoding(pat_str,
special_tokens) from the sidecar. `--detect` passes the file as `--tokenizer FILE` alone: llmdata
must recognize it (the manifest names the encoding).

Mistral Tekken (`--tekken FILE`): the reference is mistral-common's
`Tekkenizer.from_file(FILE).encode(text, bos=False, eos=False)`, EOS its eos_id.

Usage: check_tokenize.py LLMDATA_BIN WORKDIR (--tiktoken FILE [--pattern P | --encoding E] [--detect] [--llama-py PY]
       | --tokenizer FILE | --tekken FILE) [--bos TOKEN] [--allow-special] INPUT.jsonl...
"""
import argparse
import unicodedata
import json
import os
import struct
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from shards_reader import read_documents  # noqa: E402


def megatron_read(prefix):
    """Reads PREFIX.idx/.bin following Megatron-LM's MMIDIDX layout (version 1)."""
    idx = open(prefix + ".idx", "rb").read()
    assert idx[:9] == b"MMIDIDX\x00\x00"
    (version,) = struct.unpack("<Q", idx[9:17])
    (code,) = struct.unpack("<B", idx[17:18])
    seq_count, doc_count = struct.unpack("<QQ", idx[18:34])
    dtype = {8: np.uint16, 4: np.int32}[code]
    off = 34
    sizes = np.frombuffer(idx, np.int32, seq_count, off); off += 4 * seq_count
    pointers = np.frombuffer(idx, np.int64, seq_count, off); off += 8 * seq_count
    doc_idx = np.frombuffer(idx, np.int64, doc_count, off)
    assert version == 1 and list(doc_idx) == list(range(seq_count + 1))
    data = np.memmap(prefix + ".bin", dtype=dtype, mode="r")
    item = np.dtype(dtype).itemsize
    return [np.array(data[p // item: p // item + s]) for p, s in zip(pointers, sizes)]


def datatrove_read_back(binary, workdir, shards, manifest, docs):
    """`shards export-datatrove`, then datatrove's own DocumentTokenizerMerger (no shuffling) over
    the files: the merged file's documents must be the shards' documents."""
    import shutil
    from datatrove.pipeline.tokens.merger import DocumentTokenizerMerger, load_doc_ends
    dt, merged = os.path.join(workdir, "datatrove"), os.path.join(workdir, "datatrove-merged")
    for d in (dt, merged):
        shutil.rmtree(d, ignore_errors=True)
    e = subprocess.run([binary, "shards", "export-datatrove", shards, "-o", dt], capture_output=True, text=True)
    if e.returncode != 0:
        print("export-datatrove failed:", e.stderr)
        return False
    # each exported file by itself (nanotron's DatatroveFolderDataset reads the .ds files alone)
    import humanize
    width = 2 if manifest["dtype"] == "uint16" else 4
    for i in range(len(manifest["shards"])):
        base = os.path.join(dt, f"shard-{i:05d}.ds")
        ends = np.fromfile(base + ".index", np.uint64)
        n = int(ends[-1]) if len(ends) else 0
        meta = open(base + ".metadata").read().split("\n")
        if (os.path.getsize(base) != n * width or len(ends) != manifest["shards"][i]["documents"]
                or meta[0].rsplit("|", 1)[1] != str(width) or meta[1:] != [str(n), humanize.metric(n, unit="T")]):
            print(f"{base}: size, index or metadata not as datatrove writes them ({meta})")
            return False
    DocumentTokenizerMerger(input_folder=dt, output_folder=merged, save_filename="all", shuffle=False, progress=False).run()
    dtype = np.uint16 if manifest["dtype"] == "uint16" else np.uint32
    toks = np.fromfile(os.path.join(merged, "000_all.ds"), dtype)
    ends = load_doc_ends(open(os.path.join(merged, "000_all.ds.index"), "rb"))
    got = np.split(toks, ends[:-1].astype(np.int64)) if len(ends) else []
    meta = open(os.path.join(merged, "all.ds.metadata")).read().splitlines()
    if int(meta[1]) != manifest["tokens"] or len(got) != len(docs) or any(not np.array_equal(x.astype(np.int64), y.astype(np.int64)) for x, y in zip(got, docs)):
        print("datatrove's merger read back other documents than the shards hold")
        return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("workdir")
    ap.add_argument("--tiktoken")
    ap.add_argument("--pattern")
    ap.add_argument("--encoding")
    ap.add_argument("--detect", action="store_true", help="pass the ranks file as --tokenizer FILE, nothing else")
    ap.add_argument("--llama-py", help="Meta's tokenizer.py for --encoding llama3/llama4")
    ap.add_argument("--tekken")
    ap.add_argument("--tokenizer")
    ap.add_argument("--bos")
    ap.add_argument("--allow-special", action="store_true",
                    help="pass --allow-special; the tiktoken reference then allows every special token")
    ap.add_argument("inputs", nargs="+")
    a = ap.parse_args()
    texts = []
    for f in a.inputs:
        for line in open(f, encoding="utf-8"):
            if line.strip():
                texts.append(json.loads(line)["text"])
    out = os.path.join(a.workdir, "shards")
    args = [a.binary, "tokenize", *a.inputs, "-o", out, "--overwrite", "--quiet", "--tokens-per-shard", "200000", "--frame-tokens", "5000", "--batch-bytes", "200000"]
    nfc = False
    ref_vocab = None
    if a.tiktoken:
        import tiktoken
        from tiktoken.load import load_tiktoken_bpe
        pats = {"gpt2": r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s""",
                # Meta's llama3 tokenizer.py and Qwen's tokenization_qwen.py
                "llama3": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
                "qwen2": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""}
        ranks = load_tiktoken_bpe(a.tiktoken)
        n = len(ranks)
        sidecar = a.tiktoken + ".json"
        qwen = a.pattern == "qwen2" or a.encoding == "qwen"
        if a.encoding in ("r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base", "o200k_harmony"):
            # tiktoken's own constructor, reading FILE instead of downloading (and checking its hash)
            import tiktoken_ext.openai_public as op
            op.load_tiktoken_bpe = lambda _url, expected_hash=None: load_tiktoken_bpe(a.tiktoken, expected_hash=expected_hash)
            kw = op.ENCODING_CONSTRUCTORS[a.encoding]()
            enc = tiktoken.Encoding(**kw)
            specials, eos_name = kw["special_tokens"], "<|endoftext|>"
        elif a.encoding in ("llama3", "llama4"):
            # Meta's Tokenizer class as llama_models ships it (its one relative import replaced)
            from pathlib import Path
            src = open(a.llama_py).read().replace("from ..tokenizer_utils import load_bpe_file",
                                                  "from tiktoken.load import load_tiktoken_bpe\nload_bpe_file = lambda p: load_tiktoken_bpe(str(p))")
            ns = {"__name__": "meta_tokenizer"}
            exec(compile(src, a.llama_py, "exec"), ns)
            meta = ns["Tokenizer"](Path(a.tiktoken))
            enc, specials, eos_name = meta.model, meta.special_tokens, "<|end_of_text|>"
        elif os.path.exists(sidecar):
            sc = json.load(open(sidecar))
            specials = sc.get("special_tokens", {})
            pat = sc.get("pat_str") or pats[sc["pattern"]]
            enc = tiktoken.Encoding(name="sidecar", pat_str=pat, mergeable_ranks=ranks, special_tokens=specials)
            eos_name = "<|endoftext|>"
        else:
            # the special tokens numbered as the model's own loader numbers them, after the ranks:
            # Meta's Llama 3.1 tokenizer.py (named tokens, then reserved ones up to 256) and Qwen's
            # tokenization_qwen.py (enumerate from the first id after the ranks)
            llama = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
                     "<|finetune_right_pad_id|>", "<|step_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>",
                     "<|eot_id|>", "<|python_tag|>"]
            llama += [f"<|reserved_special_token_{2 + i}|>" for i in range(256 - len(llama))]
            qwen_names = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] + [f"<|extra_{i}|>" for i in range(205)]
            p = "qwen2" if qwen else a.pattern
            specials, eos_name = {
                "gpt2": ({"<|endoftext|>": n}, "<|endoftext|>"),
                "llama3": ({t: n + i for i, t in enumerate(llama)}, "<|end_of_text|>"),
                "qwen2": ({t: n + i for i, t in enumerate(qwen_names)}, "<|endoftext|>"),
            }[p]
            enc = tiktoken.Encoding(name="check", pat_str=pats[p], mergeable_ranks=ranks, special_tokens=specials)
        bos = [specials[a.bos]] if a.bos else []
        # Qwen's tokenizer NFC-normalizes before tiktoken
        nfc = qwen
        norm = (lambda t: unicodedata.normalize("NFC", t)) if nfc else (lambda t: t)  # noqa: E731
        if a.allow_special:
            encode = lambda t: bos + enc.encode(norm(t), allowed_special="all")  # noqa: E731
        else:
            encode = lambda t: bos + enc.encode_ordinary(norm(t))  # noqa: E731
        decode = enc.decode_bytes
        ref_vocab = meta.n_words if a.encoding in ("llama3", "llama4") else enc.n_vocab
        eos = specials.get(eos_name)
        if eos is None:
            sys.exit(f"the reference has no {eos_name}")
        if a.detect:
            args += ["--tokenizer", a.tiktoken]
        else:
            args += ["--tiktoken", a.tiktoken] + (["--pattern", a.pattern] if a.pattern else []) + (["--encoding", a.encoding] if a.encoding else [])
    elif a.tekken:
        from mistral_common.tokens.tokenizers.tekken import Tekkenizer
        tek = Tekkenizer.from_file(os.path.join(a.tekken, "tekken.json") if os.path.isdir(a.tekken) else a.tekken)
        encode = lambda t: tek.encode(t, bos=False, eos=False)  # noqa: E731
        k = tek.num_special_tokens
        decode = lambda ids: b"".join(tek._model.decode_single_token_bytes(i - k) for i in ids)  # noqa: E731
        eos, bos = tek.eos_id, []
        ref_vocab = tek.n_words
        args += ["--tokenizer", a.tekken]
    else:
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(a.tokenizer)
        encode = lambda t: tok.encode(t, add_special_tokens=bool(a.bos)).ids  # noqa: E731
        bos = [tok.token_to_id(a.bos)] if a.bos else []
        nfc = json.load(open(a.tokenizer)).get("normalizer") == {"type": "NFC"}
        # decoding gives back the text as the tokenizer saw it (after its normalizer, if any)
        decode = lambda ids: unicodedata.normalize("NFC", tok.decode(ids, skip_special_tokens=False)).encode() if nfc else tok.decode(ids, skip_special_tokens=False).encode()  # noqa: E731
        eos = None
        args += ["--tokenizer", a.tokenizer]
    if a.bos:
        args += ["--bos", a.bos]
    if a.allow_special:
        args += ["--allow-special"]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"tokenize failed: {p.stderr}")
    m = json.load(open(os.path.join(out, "manifest.json")))
    if a.detect and a.encoding and m["tokenizer"].get("encoding") != a.encoding:
        sys.exit(f"the manifest records {m['tokenizer']} for {a.tiktoken}, not encoding {a.encoding}")
    if a.tekken and m["tokenizer"].get("kind") != "tekken":
        sys.exit(f"the manifest records {m['tokenizer']} for {a.tekken}, not kind tekken")
    if ref_vocab is not None and m["vocab_size"] != ref_vocab:
        sys.exit(f"vocab_size {m['vocab_size']} in the manifest, the reference's is {ref_vocab}")
    if m["vocab_size"] < max((max(d) for d in read_documents(out) if len(d)), default=0) + 1:
        sys.exit(f"vocab_size {m['vocab_size']} is not above every id")
    if eos is None:
        eos = m["eos_id"]
    docs = list(read_documents(out))
    assert len(docs) == len(texts), (len(docs), len(texts))
    bad = 0
    for i, (t, d) in enumerate(zip(texts, docs)):
        want = list(encode(t)) + [eos]
        if bos and want[:1] != bos:
            sys.exit(f"record {i}: the reference does not start with {a.bos} ({want[:3]})")
        if list(map(int, d)) != want:
            bad += 1
            if bad <= 3:
                k = next(j for j in range(min(len(d), len(want))) if int(d[j]) != want[j]) if any(int(x) != y for x, y in zip(d, want)) else min(len(d), len(want))
                print(f"record {i}: ids differ at {k}: ours {list(map(int, d[k:k+8]))} reference {want[k:k+8]}")
        elif decode(want[len(bos):-1]) != (unicodedata.normalize("NFC", t) if nfc else t).encode("utf-8"):
            bad += 1
            print(f"record {i}: decode(encode(x)) != x")
    # `shards decode` gives each document's text back (without BOS and EOS)
    for i in sorted({0, len(texts) // 2, len(texts) - 1}):
        got = subprocess.run([a.binary, "shards", "decode", out, "--doc", str(i)], capture_output=True).stdout
        t = unicodedata.normalize("NFC", texts[i]) if nfc else texts[i]
        if got != t.encode("utf-8") + b"\n":
            bad += 1
            print(f"shards decode --doc {i} differs from the text")
    v = subprocess.run([a.binary, "shards", "verify", out], capture_output=True, text=True)
    if v.returncode != 0:
        bad += 1
        print("shards verify failed:", v.stdout, v.stderr)
    prefix = os.path.join(a.workdir, "megatron")
    e = subprocess.run([a.binary, "shards", "export-megatron", out, "-o", prefix], capture_output=True, text=True)
    if e.returncode != 0:
        sys.exit(f"export failed: {e.stderr}")
    meg = megatron_read(prefix)
    if len(meg) != len(docs) or any(not np.array_equal(x.astype(np.int64), y.astype(np.int64)) for x, y in zip(meg, docs)):
        bad += 1
        print("Megatron export differs from the shards")
    if not datatrove_read_back(a.binary, a.workdir, out, m, docs):
        bad += 1
    ntok = sum(len(d) for d in docs)
    print(f"tokenize cross-check: {len(texts)} records, {ntok} {m['dtype']} tokens in {len(m['shards'])} shards; "
          f"ids equal to the reference, decode(encode(x)) == x, verify ok, Megatron and datatrove exports equal: "
          f"{'yes' if not bad else f'NO ({bad} problems)'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
