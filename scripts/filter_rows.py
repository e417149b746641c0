"""Shared by filter_agreement.py and bench_filter.py: the records of a JSONL file, optionally the
first N written to a temporary file (removed at exit) so llmdata reads exactly the same records."""
import atexit
import json
import os
import tempfile


def _remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def load_rows(path, limit=None):
    """Returns (rows, input path for llmdata, MB of text)."""
    rows = [json.loads(l) for l in open(path, encoding="utf-8")][:limit]
    inp = path
    if limit:
        fd, inp = tempfile.mkstemp(prefix="llmdata-filter-", suffix=".jsonl")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        atexit.register(_remove, inp)
    mb = sum(len(r["text"].encode()) for r in rows) / 1e6
    return rows, inp, mb
