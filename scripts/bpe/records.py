"""Reads the same records llmdata reads (a reference for the bpe checks and benchmarks).

.txt (line mode): every line that is not blank (spaces, tabs, CR only), without its newline and
one trailing CR. .jsonl: the "text" field of each line's object.
"""
import json


def records(paths):
    for path in paths:
        if path.endswith(".jsonl"):
            with open(path, encoding="utf-8", newline="\n") as f:
                for line in f:
                    if line.strip(" \t\r\n"):
                        yield json.loads(line)["text"]
        else:
            with open(path, encoding="utf-8", newline="") as f:
                for line in f:
                    if line.endswith("\n"):
                        line = line[:-1]
                    if line.endswith("\r"):
                        line = line[:-1]
                    if line.strip(" \t\r"):
                        yield line
