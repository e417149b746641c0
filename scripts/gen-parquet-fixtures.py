#!/usr/bin/env python3
"""Writes the small Parquet fixtures of Tests/CLITests/ParquetTests.swift into fixtures/parquet/.

Regenerate (only when the tests need other content; the files are committed):
    source scripts/lib.sh && ensure_venv && "$VENV/bin/pip" install -q pyarrow==26.0.1
    "$VENV/bin/python" scripts/gen-parquet-fixtures.py
The expected outputs in ParquetTests.swift follow the tables below.
"""
import os

import pyarrow as pa
import pyarrow.parquet as pq

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "parquet")
os.makedirs(out, exist_ok=True)

# No `id` and no `text` column: the text is in `content` (--text-field content); five rows in two
# row groups, so ids run across them. Row 2's full-width letters are NFKC-normalized to ASCII.
articles = pa.table({
    "title": ["First", "Second", None, "Fourth", "Fifth"],
    "content": ["Hello, world.", "ＦＵＬＬ　ｗｉｄｔｈ", "Third row", "Vierte Zeile: äöü", "最后一行"],
    "n": pa.array([1, 2, 3, 4, 5], pa.int64()),
})
pq.write_table(articles, os.path.join(out, "articles.parquet"), row_group_size=3, compression="snappy")

# An `id` column: kept as it is, whatever its type.
with_id = pa.table({"id": ["doc-a", "doc-b", "doc-c"], "text": ["alpha", "beta", "gamma"]})
pq.write_table(with_id, os.path.join(out, "with-id.parquet"), compression="gzip")

# Nested and binary columns with nulls, zstd, data page v2, no dictionary.
nested = pa.table({
    "text": pa.array(["one", "two", "three"], pa.large_string()),
    "tags": pa.array([["a", "b"], [], None], pa.list_(pa.string())),
    "meta": pa.array([{"a": 1, "b": "x"}, None, {"a": None, "b": "z"}], pa.struct([("a", pa.int64()), ("b", pa.string())])),
    "pairs": pa.array([[{"a": 1, "b": None}], None, [None, {"a": 2, "b": "q"}]], pa.list_(pa.struct([("a", pa.int64()), ("b", pa.string())]))),
    "grid": pa.array([[[1, 2], None, []], [], [[None]]], pa.list_(pa.list_(pa.int32()))),
    "score": pa.array([0.5, None, 1e-7], pa.float64()),
    "ratio": pa.array([0.1, float("nan"), -2.5], pa.float32()),
    "flag": pa.array([True, None, False]),
    "blob": pa.array([b"\x00\x01\x02", None, b"hi"], pa.binary()),
})
pq.write_table(nested, os.path.join(out, "nested.parquet"), compression="zstd", data_page_version="2.0", use_dictionary=False)

for f in sorted(os.listdir(out)):
    print(f, os.path.getsize(os.path.join(out, f)))
