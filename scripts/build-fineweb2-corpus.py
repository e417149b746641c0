#!/usr/bin/env python3
"""Builds the FineWeb-2 agreement corpus from the langid data: deterministic, real text only.

  OUT_DIR/{iso1}.jsonl  for each of the 29 non-English langid languages: documents of 2-4 KB made of
                        consecutive lines of train/{iso1}.txt (joined with "\\n"), taken evenly
                        across the file (so every source of the training text is represented) up to
                        ~1 MB per language; {"id","text","metadata":{"language":iso1}}.
  OUT_DIR/zh-docs.jsonl >= 20 MB of Chinese documents: the HTML manuals of debian-reference-zh-cn/
                        zh-tw, maint-guide-zh-cn/zh-tw and libreoffice-help-zh-cn from the langid
                        cache, and of ZH_EXTRA below (fetched by name into OUT_DIR/debs), extracted
                        with build-cjk-corpus.py's parser and split into 2-4 KB documents at
                        paragraph breaks; manpages-zh's pages (roff macros dropped), the same way;
                        the zh training lines (20.5 MB of text in 10,766 documents). Documents
                        with kana letters or under 20% Han letters are skipped; sources are
                        interleaved so that a prefix mixes them. metadata.language "zh".

Usage: build-fineweb2-corpus.py LANGID_DATA_DIR OUT_DIR [--per-language BYTES] [--zh-bytes BYTES]
       build-fineweb2-corpus.py LANGID_DATA_DIR --fixture OUT.jsonl [--docs N]
         (the committed fixture: N documents of 0.8-1.2 KB per language, all in one file)
"""
import importlib.util
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tarfile

HAN_SHARE = 0.2  # of the letters
LANGS = ["ar", "bg", "ca", "cs", "da", "de", "el", "es", "fa", "fi", "fr", "he", "hi", "hu", "id", "it", "ja",
         "ko", "nl", "pl", "pt", "ro", "ru", "sv", "th", "tr", "uk", "vi", "zh"]
ZH_PKGS = ["debian-reference-zh-cn", "debian-reference-zh-tw", "maint-guide-zh-cn", "maint-guide-zh-tw",
           "libreoffice-help-zh-cn"]
ZH_MAN = "manpages-zh"
# not in the langid cache: fetched by name with `apt-get download` into OUT_DIR/debs, at these
# (Debian 12) versions when the mirror still has them (debian-handbook: its zh-CN part only)
ZH_EXTRA = {"libreoffice-help-zh-tw": ("", "4:7.4.7-1+deb12u14"), "debian-handbook": ("/zh-CN/", "11.20220922"),
            "gimp-help-zh-cn": ("", "2.10.34-2"), "kicad-doc-zh": ("", "6.0.11+dfsg-1"),
            "debian-edu-doc-zh-cn": ("", "2.12.23~deb12u1"), "lilypond-doc-html-zh": ("", "2.24.1-2")}
ROFF_ESC = re.compile(r"\\f(\[[^\]]*\]|\(..|.)|\\[,/&|^:%0]|\\\(..|\\\*(\(..|.)|\\s[-+]?\d")
ROFF_CHARS = {"\\-": "-", "\\e": "\\", "\\(em": "—", "\\(en": "–", "\\(bu": "•", "\\(co": "©", "\\ ": " ", "\\~": " ",
              "\\(lq": "“", "\\(rq": "”", "\\(aq": "'", "\\(dq": '"'}

_spec = importlib.util.spec_from_file_location("build_cjk_corpus", os.path.join(os.path.dirname(__file__), "build-cjk-corpus.py"))
cjk = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cjk)


def line_docs(path, lo, hi):
    """Documents of lo..hi bytes made of consecutive lines (a line longer than hi is left out)."""
    docs, cur, size = [], [], 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            n = len(line.encode()) + 1
            if not line.strip():
                continue
            if n > hi:
                continue
            if size + n > hi:
                if size >= lo:
                    docs.append("\n".join(cur))
                cur, size = [], 0
            cur.append(line)
            size += n
            if size >= lo and size + 200 > hi:
                docs.append("\n".join(cur))
                cur, size = [], 0
    if size >= lo:
        docs.append("\n".join(cur))
    return docs


def spread(docs, budget=None, count=None):
    """Documents taken evenly across the list, up to a byte budget or a count."""
    if not docs:
        return []
    total = sum(len(d.encode()) for d in docs)
    want = count if count else max(1, min(len(docs), round(len(docs) * budget / total)))
    step = len(docs) / want
    return [docs[int(i * step)] for i in range(want)]


def han_only(d):
    letters = [c for c in d if c.isalpha()]
    # no kana letters (U+30FB/U+30FC, the middle dot and the long-vowel mark, occur in Chinese)
    if not letters or any("\u3041" <= c <= "\u30fa" for c in d):
        return False
    return cjk.cjk_share(d) >= HAN_SHARE


def html_docs(deb, member=""):
    tar_bytes = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True, capture_output=True).stdout
    docs = []
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tf:
        for m in sorted(tf.getmembers(), key=lambda m: m.name):
            if not m.isfile() or not m.name.endswith((".html", ".xhtml", ".htm")) or member not in m.name:
                continue
            p = cjk.Text()
            p.feed(tf.extractfile(m).read().decode("utf-8", errors="replace"))
            cur, size = [], 0
            for line in (l.strip() for l in "".join(p.parts).split("\n")):
                if not line:
                    if size >= 2000:
                        docs.append("\n".join(cur)); cur, size = [], 0
                    continue
                cur.append(line); size += len(line.encode()) + 1
                if size >= 4000:
                    docs.append("\n".join(cur)); cur, size = [], 0
            if cur:
                docs.append("\n".join(cur))
    return [d for d in docs if len(d.encode()) >= 200]


def roff_text(src):
    """The running text of a man page: macros' arguments kept, requests and font escapes dropped."""
    out = []
    for line in src.split("\n"):
        if line.startswith((".\\\"", "'\\\"")) or line.startswith("\\\""):
            continue
        if line.startswith((".", "'")):
            name, _, rest = line[1:].strip().partition(" ")
            if name in ("SH", "SS"):
                out.extend(["", rest.strip().strip('"')])
            elif name in ("B", "I", "BR", "IR", "RB", "RI", "BI", "IB", "SM", "SB"):
                out.append(" ".join(a.strip('"') for a in re.findall(r'"[^"]*"|\S+', rest)) if name[1:] else rest.strip('"'))
            elif name in ("PP", "P", "LP", "TP", "IP", "sp", "HP"):
                out.append("")
                if name == "IP" and rest.strip():
                    out.append(rest.strip().split('"')[1] if rest.strip().startswith('"') else rest.split()[0])
            continue
        for k, v in ROFF_CHARS.items():
            line = line.replace(k, v)
        out.append(ROFF_ESC.sub("", line).replace("\\", "\\").strip())
    return "\n".join(out)


def man_docs(deb):
    tar_bytes = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True, capture_output=True).stdout
    docs = []
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tf:
        for m in sorted(tf.getmembers(), key=lambda m: m.name):
            if not m.isfile() or "/man/" not in m.name or not m.name.endswith(".gz"):
                continue
            text = gzip.decompress(tf.extractfile(m).read()).decode("utf-8", errors="replace")
            if text.startswith(".so "):
                continue
            cur, size = [], 0
            for line in (l.strip() for l in roff_text(text).split("\n")):
                if not line:
                    if size >= 2000:
                        docs.append("\n".join(cur)); cur, size = [], 0
                    continue
                cur.append(line); size += len(line.encode()) + 1
                if size >= 4000:
                    docs.append("\n".join(cur)); cur, size = [], 0
            if cur:
                docs.append("\n".join(cur))
    return [d for d in docs if len(d.encode()) >= 200]


def write(path, rows):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(path + ".tmp", path)
    print(f"{path}: {len(rows)} documents, {os.path.getsize(path)} bytes", file=sys.stderr)


def main():
    args = sys.argv[1:]
    data = args[0]
    opt = lambda k, d: args[args.index(k) + 1] if k in args else d
    train = lambda lang: os.path.join(data, "train", lang + ".txt")
    if "--fixture" in args:
        n = int(opt("--docs", 8))
        rows = []
        for lang in LANGS:
            for i, d in enumerate(spread(line_docs(train(lang), 800, 1200), count=n)):
                rows.append({"id": f"{lang}-{i:02d}", "text": d, "metadata": {"language": lang}})
        write(opt("--fixture", None), rows)
        return
    out = args[1]
    os.makedirs(out, exist_ok=True)
    budget = int(opt("--per-language", 1_000_000))
    for lang in LANGS:
        docs = spread(line_docs(train(lang), 2000, 4000), budget=budget)
        write(os.path.join(out, f"{lang}.jsonl"),
              [{"id": f"{lang}-{i:05d}", "text": d, "metadata": {"language": lang}} for i, d in enumerate(docs)])
    # Chinese: the manuals interleaved (so a prefix mixes them), then the training lines
    cache = os.path.join(data, "cache", "debs")
    sources = []
    for deb in sorted(f for f in os.listdir(cache) if f.endswith(".deb") and f.split("_")[0] in ZH_PKGS):
        sources.append((deb.split("_")[0], [d for d in html_docs(os.path.join(cache, deb)) if han_only(d)]))
    extra = os.path.join(out, "debs")
    os.makedirs(extra, exist_ok=True)
    for pkg in ZH_EXTRA:
        if not any(f.startswith(pkg + "_") for f in os.listdir(extra)):
            pinned = subprocess.run(["apt-get", "download", f"{pkg}={ZH_EXTRA[pkg][1]}"], cwd=extra, capture_output=True)
            if pinned.returncode != 0:
                print(f"{pkg} {ZH_EXTRA[pkg][1]} not on the mirror: its current version", file=sys.stderr)
                subprocess.run(["apt-get", "download", pkg], cwd=extra, check=True, capture_output=True)
    for deb in sorted(f for f in os.listdir(extra) if f.endswith(".deb") and f.split("_")[0] in ZH_EXTRA):
        sources.append((deb.split("_")[0], [d for d in html_docs(os.path.join(extra, deb), ZH_EXTRA[deb.split("_")[0]][0]) if han_only(d)]))
    for deb in sorted(f for f in os.listdir(cache) if f.endswith(".deb") and f.split("_")[0] == ZH_MAN):
        sources.append((ZH_MAN, [d for d in man_docs(os.path.join(cache, deb)) if han_only(d)]))
    sources.append(("langid-train-zh", [d for d in line_docs(train("zh"), 2000, 4000) if han_only(d)]))
    target = int(opt("--zh-bytes", 22_000_000))
    rows, seen, written, idx = [], set(), 0, 0
    while written < target and any(idx < len(d) for _, d in sources):
        for name, docs in sources:
            if idx < len(docs) and written < target and docs[idx] not in seen:
                seen.add(docs[idx])
                rows.append({"id": f"{name}-{idx:06d}", "text": docs[idx], "metadata": {"language": "zh"}})
                written += len(docs[idx].encode())
        idx += 1
    write(os.path.join(out, "zh-docs.jsonl"), rows)
    if written < 20_000_000:
        sys.exit(f"zh-docs.jsonl: only {written} bytes of text (< 20 MB)")


if __name__ == "__main__":
    main()
