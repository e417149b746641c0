"""Builds the throughput inputs of scripts/bench.d/30-langid.sh from langid-data:
  short.jsonl: dev.jsonl repeated REPEAT times (short UI/doc segments);
  docs2k.jsonl: ~2 KB documents, consecutive lines of each train/<lang>.txt joined with newlines,
  languages interleaved, about MB megabytes in total (train text: for speed only, not accuracy).
usage: langid_docs.py LANGID_DATA OUTDIR [REPEAT] [MB]"""
import json, os, sys

def main():
    data, out = sys.argv[1], sys.argv[2]
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    mb = float(sys.argv[4]) if len(sys.argv) > 4 else 10
    os.makedirs(out, exist_ok=True)
    dev = open(os.path.join(data, "dev.jsonl"), encoding="utf-8").read()
    with open(os.path.join(out, "short.jsonl"), "w", encoding="utf-8") as f:
        for _ in range(repeat):
            f.write(dev)
    langs = sorted(x[:-4] for x in os.listdir(os.path.join(data, "train")) if x.endswith(".txt"))
    per = int(mb * 1e6 / len(langs))
    docs = {}
    for l in langs:
        lines = open(os.path.join(data, "train", l + ".txt"), encoding="utf-8").read().split("\n")
        ds, cur, size, total = [], [], 0, 0
        for ln in lines:
            if not ln:
                continue
            cur.append(ln); size += len(ln.encode()) + 1
            if size >= 2000:
                ds.append("\n".join(cur)); total += size; cur, size = [], 0
                if total >= per:
                    break
        docs[l] = ds
    with open(os.path.join(out, "docs2k.jsonl"), "w", encoding="utf-8") as f:
        for i in range(max(len(d) for d in docs.values())):
            for l in langs:
                if i < len(docs[l]):
                    f.write(json.dumps({"text": docs[l][i], "lang": l}, ensure_ascii=False) + "\n")

if __name__ == "__main__":
    main()
