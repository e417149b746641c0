"""Shared by filter_agreement.py and bench_filter.py: the records of a JSONL file, optionally the
first N written to a temporary file so llmdata reads exactly the same records."""
import json
import os
import tempfile


def load_rows(path, limit=None):
    """Returns (rows, input path for llmdata, MB of text)."""
    rows = [json.loads(l) for l in open(path, encoding="utf-8")][:limit]
    inp = path
    if limit:
        fd, inp = tempfile.mkstemp(prefix="llmdata-filter-", suffix=".jsonl")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    mb = sum(len(r["text"].encode()) for r in rows) / 1e6
    return rows, inp, mb
