"""Per-language accuracy of `llmdata langid` output (or a peer's predictions) against dev.jsonl.
usage: langid_eval.py DEV.jsonl PRED.jsonl   (PRED: records with metadata.language, same order)"""
import json, sys
MAIN = "en zh ja ko ru de fr es pt it ar hi vi th pl nl tr uk id fa".split()
def main():
    dev = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
    pred = [json.loads(l)["metadata"]["language"] for l in open(sys.argv[2], encoding="utf-8")]
    assert len(dev) == len(pred), (len(dev), len(pred))
    tot, ok, stot, sok = {}, {}, {}, {}
    for d, p in zip(dev, pred):
        l = d["lang"]; tot[l] = tot.get(l, 0) + 1; ok[l] = ok.get(l, 0) + (p == l)
        if 10 <= len(d["text"]) <= 30:
            stot[l] = stot.get(l, 0) + 1; sok[l] = sok.get(l, 0) + (p == l)
    for l in sorted(tot):
        s = f"{sok.get(l,0)/stot[l]*100:6.1f} ({stot[l]})" if stot.get(l) else "   -"
        print(f"{l}\t{ok[l]/tot[l]*100:6.2f}\t{s}")
    macro = sum(ok[l] / tot[l] for l in MAIN) / len(MAIN) * 100
    worst = min(MAIN, key=lambda l: ok[l] / tot[l])
    smacro = sum(sok.get(l, 0) / stot[l] for l in MAIN if stot.get(l)) / sum(1 for l in MAIN if stot.get(l)) * 100
    print(f"macro20 {macro:.2f} worst {worst} {ok[worst]/tot[worst]*100:.2f} short10-30 macro20 {smacro:.2f} all30 {sum(ok[l]/tot[l] for l in tot)/len(tot)*100:.2f}")
if __name__ == "__main__":
    main()
