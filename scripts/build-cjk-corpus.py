#!/usr/bin/env python3
"""Builds the CJK benchmark corpus for `llmdata normalize`: >= 20 MB of real Chinese and
Japanese documents as JSON Lines ({"id","text"}), deterministic.

Sources (all from Debian packages that ../shared/data/build-langid-data.sh downloads into its
cache): the HTML manuals in gimp-help-ja, libreoffice-help-{ja,zh-cn}, debian-reference-{ja,
zh-cn,zh-tw}, maint-guide-{ja,zh-cn,zh-tw} and developers-reference-ja. Text is taken from the
HTML with the standard library's parser (scripts, styles dropped), split into documents of
2-4 KB at paragraph boundaries; plus the zh and ja training segments of the langid data
(man pages, Firefox and LibreOffice strings …) grouped into documents of 2-4 KB. Documents with
less than 30% CJK characters are skipped.

Usage: build-cjk-corpus.py LANGID_DATA_DIR OUT.jsonl [TARGET_BYTES]
"""
import html.parser
import io
import json
import os
import subprocess
import sys
import tarfile

PKGS = ["gimp-help-ja", "libreoffice-help-ja", "libreoffice-help-zh-cn", "debian-reference-ja",
        "debian-reference-zh-cn", "debian-reference-zh-tw", "maint-guide-ja", "maint-guide-zh-cn",
        "maint-guide-zh-tw", "developers-reference-ja"]


class Text(html.parser.HTMLParser):
    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "pre", "dt", "dd", "title", "table"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def cjk_share(s):
    letters = [c for c in s if c.isalpha()]
    if not letters:
        return 0.0
    cjk = sum(1 for c in letters if "\u3040" <= c <= "\u30ff" or "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff")
    return cjk / len(letters)


def main():
    data, out = sys.argv[1], sys.argv[2]
    cache = os.path.join(data, "cache", "debs")
    target = int(sys.argv[3]) if len(sys.argv) > 3 else 24_000_000
    debs = sorted(f for f in os.listdir(cache) if f.endswith(".deb") and f.split("_")[0] in PKGS)
    # interleave sources so a prefix of the output mixes Chinese and Japanese
    per_source = []
    for deb in debs:
        tar_bytes = subprocess.run(["dpkg-deb", "--fsys-tarfile", os.path.join(cache, deb)],
                                   check=True, capture_output=True).stdout
        docs = []
        with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tf:
            for m in sorted(tf.getmembers(), key=lambda m: m.name):
                if not m.isfile() or not (m.name.endswith(".html") or m.name.endswith(".xhtml") or m.name.endswith(".htm")):
                    continue
                raw = tf.extractfile(m).read().decode("utf-8", errors="replace")
                p = Text()
                p.feed(raw)
                lines = [l.strip() for l in "".join(p.parts).split("\n")]
                cur, size = [], 0
                for line in lines:
                    if not line:
                        if size >= 2000:
                            docs.append("\n".join(cur)); cur, size = [], 0
                        continue
                    cur.append(line); size += len(line.encode()) + 1
                    if size >= 4000:
                        docs.append("\n".join(cur)); cur, size = [], 0
                if cur:
                    docs.append("\n".join(cur))
        docs = [d for d in docs if len(d.encode()) >= 200 and cjk_share(d) >= 0.3]
        per_source.append((deb.split("_")[0], docs))
    for lang in ("ja", "zh"):
        docs, cur, size = [], [], 0
        with open(os.path.join(data, "train", lang + ".txt"), encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                cur.append(line); size += len(line.encode()) + 1
                if size >= 3000:
                    docs.append("\n".join(cur)); cur, size = [], 0
        if cur:
            docs.append("\n".join(cur))
        per_source.append((f"langid-train-{lang}", [d for d in docs if cjk_share(d) >= 0.3]))
    written = 0
    n = 0
    seen = set()
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        idx = 0
        while written < target and any(idx < len(d) for _, d in per_source):
            for name, docs in per_source:
                if idx < len(docs) and written < target:
                    d = docs[idx]
                    if d in seen:
                        continue
                    seen.add(d)
                    line = json.dumps({"id": f"{name}-{idx:06d}", "text": d}, ensure_ascii=False) + "\n"
                    f.write(line)
                    written += len(line.encode())
                    n += 1
            idx += 1
    os.replace(out + ".tmp", out)
    print(f"{out}: {n} documents, {written} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
