#!/usr/bin/env python3
"""`llmdata filter --preset fineweb2` against datatrove's three filters as FineWeb-2's
fineweb-2-pipeline.py builds them (step 5), document by document, per language and rule set.

For each record llmdata reports (--annotate) the FineWeb-2 configuration it chose
(metadata.quality.fineweb2_config); that name is cross-checked against this script's own choice
(ISO 639-1 -> ISO 639-3 via models/fineweb2/languages.tsv; for a language with configurations in
several scripts, the script with most letters in the text), its YAML is read from
models/fineweb2/ (or --preset-dir) and datatrove's filters are built with it and language=NAME:

  GopherRepetitionFilter(dup_para_frac=0, dup_line_char_frac=0, dup_para_char_frac=0,
                         dup_line_frac, top_n_grams, dup_n_grams from the configuration)
  FineWebQualityFilter(short_line_thr=999, char_duplicates_ratio=0.1, line_punct_thr, new_line_ratio)
  GopherQualityFilter(max_avg_word_length, min_avg_word_length, stop_words, max_non_alpha_words_ratio,
                      min_stop_words=2)

each on the original text, independently (as filter_agreement.py does). A language whose datatrove
word tokenizer cannot be loaded (a package missing) is reported as unavailable and not compared.

Usage: fineweb2_agreement.py LLMDATA_BIN FILE.jsonl... [--floor X] [--floor-languages zh=1.0,de,...]
         [--limit N] [--languages a,b] [--language L] [--preset-dir DIR] [--json OUT]
  --limit N       the first N records of each file
  --languages     only records of these languages (ISO 639-1 or FineWeb-2 names)
  --language L    every record is language L (also passed to llmdata as --language L)
  --floor         keep/drop agreement every rule set of a --floor-languages language (default zh)
                  must reach (default 0.975; LANG=X sets that language's own); exit 1 below it, when such a language could not be
                  compared, or when llmdata's configuration differs from ours
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unicodedata

import yaml
from datatrove.data import Document
from datatrove.pipeline.filters import FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter
from datatrove.utils.word_tokenizers import load_word_tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = ["gopher_repetition", "fineweb", "gopher_quality"]
# Unicode name prefixes of ISO 15924 scripts that have several configurations per language
SCRIPT_NAMES = {"Latn": "LATIN", "Arab": "ARABIC", "Cyrl": "CYRILLIC", "Deva": "DEVANAGARI", "Hani": "CJK",
                "Grek": "GREEK", "Hebr": "HEBREW", "Thai": "THAI", "Hang": "HANGUL"}


def opt(args, key, default=None):
    return args[args.index(key) + 1] if key in args else default


class Configs:
    def __init__(self, dirs):
        self.files = {}
        for d in dirs:
            for f in sorted(os.listdir(d)):
                if f.endswith(".yml"):
                    self.files.setdefault(f[:-4], os.path.join(d, f))
        self.iso3, self.default = {}, {}
        for line in open(os.path.join(dirs[0], "languages.tsv"), encoding="utf-8"):
            if line.startswith("#") or not line.strip():
                continue
            iso1, iso3, script = line.rstrip("\n").split("\t")
            self.iso3[iso1] = iso3
            self.default[iso3] = f"{iso3}_{script}"
        self.cache = {}

    def choose(self, language, text, script=None):
        """The FineWeb-2 configuration name for a record (script: metadata.language_script), or None."""
        if language in self.files:
            return language
        iso3 = self.iso3.get(language, language)
        if script and f"{iso3}_{script}" in self.files:
            return f"{iso3}_{script}"
        names = [n for n in self.files if n.split("_")[0] == iso3]
        if len(names) <= 1:
            return names[0] if names else None
        counts = {n: 0 for n in names}
        for c in text:
            if c.isalpha():
                u = unicodedata.name(c, "")
                for n in names:
                    if u.startswith(SCRIPT_NAMES.get(n.split("_")[1], "?")):
                        counts[n] += 1
        # ties (no letters of either script): the default script of languages.tsv
        return max(names, key=lambda n: (counts[n], n == self.default.get(iso3)))

    def load(self, name):
        if name not in self.cache:
            self.cache[name] = yaml.safe_load(open(self.files[name], encoding="utf-8"))
        return self.cache[name]


def datatrove_filters(name, cfg):
    return {
        "gopher_repetition": GopherRepetitionFilter(
            language=name, dup_para_frac=0, dup_line_char_frac=0, dup_para_char_frac=0,
            dup_line_frac=cfg["dup_line_frac"], top_n_grams=cfg["top_n_grams"], dup_n_grams=cfg["dup_n_grams"]),
        "fineweb": FineWebQualityFilter(
            language=name, short_line_thr=999, char_duplicates_ratio=0.1,
            line_punct_thr=cfg["line_punct_thr"], new_line_ratio=cfg["new_line_ratio"]),
        "gopher_quality": GopherQualityFilter(
            language=name, max_avg_word_length=cfg["max_avg_word_length"],
            min_avg_word_length=cfg["min_avg_word_length"], stop_words=cfg["stopwords"],
            max_non_alpha_words_ratio=cfg["max_non_alpha_words_ratio"], min_stop_words=2),
    }


def tokenizer_problem(name):
    """None when datatrove's word tokenizer for this language loads and splits, else the reason."""
    try:
        load_word_tokenizer(name).word_tokenize("a test. 测试 テスト")
        return None
    except (ImportError, ModuleNotFoundError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        # datatrove's own message names the package: "Please install `stanza` to use ..."
        missing = getattr(e, "name", None) or (msg.split("`")[1] if msg.count("`") >= 2 else msg)
        missing = missing.removeprefix("pip install ")
        return f"datatrove tokenizer unavailable: {missing}"
    except Exception as e:  # e.g. a model that would have to be downloaded
        return f"datatrove tokenizer unavailable: {type(e).__name__}: {str(e).splitlines()[0][:160]}"


def main():
    binary, args = sys.argv[1], sys.argv[2:]
    flags_with_value = {"--floor", "--floor-languages", "--limit", "--languages", "--language", "--preset-dir", "--json"}
    files, i = [], 0
    while i < len(args):
        if args[i] in flags_with_value:
            i += 2
            continue
        files.append(args[i]); i += 1
    floor = float(opt(args, "--floor", 0.975))
    limit = int(opt(args, "--limit", 0)) or None
    only = set(opt(args, "--languages", "").split(",")) - {""}
    forced = opt(args, "--language")
    preset_dir = opt(args, "--preset-dir")
    configs = Configs([os.path.join(HERE, "..", "models", "fineweb2")] + ([preset_dir] if preset_dir else []))
    # --floor-languages zh=1.0,de,fr: a language's own floor, else --floor; keyed by configuration
    floors = {}
    for item in opt(args, "--floor-languages", "zh").split(","):
        if item:
            lang, _, f = item.partition("=")
            floors[configs.choose(lang, "") or lang] = float(f) if f else floor

    rows = []
    for path in files:
        for line in list(open(path, encoding="utf-8"))[:limit]:
            r = json.loads(line)
            lang = forced or (r.get("metadata") or {}).get("language")
            if only and lang not in only and configs.choose(lang, r["text"]) not in only:
                continue
            rows.append((r, lang))
    mb = sum(len(r["text"].encode()) for r, _ in rows) / 1e6
    fd, inp = tempfile.mkstemp(prefix="llmdata-fw2-", suffix=".jsonl")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for r, _ in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        cmd = [binary, "filter", inp, "--preset", "fineweb2", "--annotate", "--quiet", "--jobs", "2"]
        cmd += ["--language", forced] if forced else []
        cmd += ["--preset-dir", preset_dir] if preset_dir else []
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, check=True)
        t_ll = time.perf_counter() - t0
    finally:
        os.unlink(inp)
    # split on "\n" only: str.splitlines() would also split at U+2028, U+0085 … inside strings
    ours = [json.loads(l)["metadata"]["quality"] for l in p.stdout.decode().split("\n") if l]
    assert len(ours) == len(rows), (len(ours), len(rows))

    # group by the configuration llmdata chose; cross-check it against ours
    groups, mismatches, unconfigured = {}, [], {}
    for (r, lang), q in zip(rows, ours):
        name = q.get("fineweb2_config")
        # as llmdata: metadata.language_script counts only when --language is not given
        script = None if forced else (r.get("metadata") or {}).get("language_script")
        mine = configs.choose(lang, r["text"], script) if lang else None
        if name != mine:
            mismatches.append((r.get("id"), lang, name, mine))
        if name is None:
            unconfigured[lang] = unconfigured.get(lang, 0) + 1
            continue
        groups.setdefault(name, []).append((r, q.get("failed", {})))

    print(f"{', '.join(files)}: {len(rows)} documents, {mb:.1f} MB; llmdata --preset fineweb2 --jobs 2")
    if unconfigured:
        print(f"  no FineWeb-2 configuration: {unconfigured}")
    for doc_id, lang, name, mine in mismatches[:5]:
        print(f"  CONFIG DIFFERS: doc {doc_id} ({lang}): llmdata {name}, this script {mine}")
    ok = not mismatches
    results, t_dt, mb_dt, mb_ll_compared = {}, 0.0, 0.0, 0.0
    for name in sorted(groups):
        docs = groups[name]
        problem = tokenizer_problem(name)
        if problem:
            print(f"  {name:9s} {len(docs):5d} docs: {problem} (not compared)")
            results[name] = {"documents": len(docs), "unavailable": problem}
            if name in floors:
                ok = False
                print(f"    FAIL: {name} has a floor and could not be compared")
            continue
        filters = datatrove_filters(name, configs.load(name))
        theirs = {k: [] for k in RULES}
        for f in filters.values():  # the tokenizer's models load outside the timing
            f.filter(Document(text=docs[0][0]["text"][:200], id="warm-up"))
        t0 = time.perf_counter()
        for r, _ in docs:
            for k, f in filters.items():
                res = f.filter(Document(text=r["text"], id=str(r.get("id"))))
                theirs[k].append(None if res is True else (res[1] if isinstance(res, tuple) else "dropped"))
        dt = time.perf_counter() - t0
        size = sum(len(r["text"].encode()) for r, _ in docs) / 1e6
        t_dt += dt; mb_dt += size
        results[name] = {"documents": len(docs), "mb": round(size, 3), "datatrove_seconds": round(dt, 3), "rules": {}}
        for k in RULES:
            mine = [failed.get(k) for _, failed in docs]
            n = len(docs)
            agree = sum((a is None) == (b is None) for a, b in zip(mine, theirs[k])) / n
            same = sum(a == b for a, b in zip(mine, theirs[k])) / n
            diffs = [(docs[j][0].get("id"), mine[j], theirs[k][j]) for j in range(n) if (mine[j] is None) != (theirs[k][j] is None)]
            results[name]["rules"][k] = {"agreement": round(agree, 4), "same_reason": round(same, 4),
                                         "dropped_llmdata": sum(a is not None for a in mine),
                                         "dropped_datatrove": sum(b is not None for b in theirs[k]),
                                         "differs": diffs[:5]}
            below = name in floors and agree < floors[name]
            ok &= not below
            print(f"  {name:9s} {n:5d} docs {k:18s} agreement {agree:.4f} (same reason {same:.4f}); dropped: "
                  f"llmdata {results[name]['rules'][k]['dropped_llmdata']}, datatrove {results[name]['rules'][k]['dropped_datatrove']}"
                  + (f"  BELOW FLOOR {floors[name]}" if below else ""))
            for doc_id, a, b in diffs[:3]:
                print(f"      differs: {doc_id}: llmdata {a}, datatrove {b}")
    if t_dt:
        print(f"  throughput: llmdata {mb / t_ll:.1f} MB/s ({mb:.1f} MB, whole command, --jobs 2); datatrove "
              f"{mb_dt / t_dt:.3f} MB/s ({mb_dt:.1f} MB compared, three filters, one process, tokenizers loaded) "
              f"= {(mb / t_ll) / (mb_dt / t_dt):.0f}x")
    if opt(args, "--json"):
        json.dump({"files": files, "documents": len(rows), "mb": round(mb, 3), "llmdata_seconds": round(t_ll, 3),
                   "datatrove_seconds": round(t_dt, 3), "datatrove_mb": round(mb_dt, 3), "floors": floors,
                   "config_mismatches": mismatches, "no_config": unconfigured, "languages": results},
                  open(opt(args, "--json"), "w"), ensure_ascii=False, indent=1)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
