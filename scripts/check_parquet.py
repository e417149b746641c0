#!/usr/bin/env python3
"""llmdata's Parquet reader against pyarrow (scripts/check.d/45-parquet.sh).

Usage: check_parquet.py LLMDATA_BIN WORKDIR SAMPLE.jsonl...

pyarrow writes tables with every option docs/parquet.md promises to read: compression snappy,
zstd, gzip and none; dictionary on and off; data pages v1 and v2; several row groups and several
pages per column chunk; nulls; string and large_string; list<int64>, list<string>,
struct<a:int64,b:string>, list<struct>, list<list<int32>>; bool, int32, int64, float, double,
binary; then logical types (timestamps, dates, times, decimals, unsigned and small integers,
float16, map, uuid, fixed-size binary, dictionary arrays, INT96), BYTE_STREAM_SPLIT, the DELTA
encodings, and the committed sample corpus. Each file goes through `llmdata normalize --form none --no-clean`
(a passthrough: records it does not change are copied byte for byte) and every output record,
less the `id` llmdata assigns, must equal pyarrow's `table.to_pylist()` with binary as base64,
float32 compared as float32, NaN/Inf as null, decimals as exact strings, temporal values as
their stored integers and maps as [{"key":…, "value":…}]. The ids must be FILE:ROW (1-based),
the fields in schema order, stdin must read the same, LZ4 and BROTLI pages, a truncated file
and a file that is not Parquet must fail with exit 2 naming the file, and corrupted files must
never crash the reader.
"""
import base64
import datetime
import decimal
import json
import math
import os
import random
import struct
import subprocess
import sys
import uuid

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

BIN, WORK = sys.argv[1], sys.argv[2]
SAMPLES = sys.argv[3:]
PASS = ["normalize", "--form", "none", "--no-clean", "--quiet", "--jobs", "2"]
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def canon(v, t):
    """pyarrow's Python value as llmdata writes it (as json.loads reads it back)."""
    if v is None:
        return None
    if isinstance(v, uuid.UUID):  # pa.uuid(): the canonical string
        return str(v)
    if pa.types.is_float32(t) or pa.types.is_float16(t):
        return None if not math.isfinite(v) else f32(v)
    if pa.types.is_floating(t):
        return None if not math.isfinite(v) else v
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return base64.b64encode(v).decode()
    if pa.types.is_decimal(t):
        return format(v, "f")
    if pa.types.is_map(t):
        return [{"key": canon(k, t.key_type), "value": canon(x, t.item_type)} for k, x in v]
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return [canon(x, t.value_type) for x in v]
    if pa.types.is_struct(t):
        return {t.field(i).name: canon(v[t.field(i).name], t.field(i).type) for i in range(t.num_fields)}
    if pa.types.is_dictionary(t):
        return canon(v, t.value_type)
    return v


def got_canon(v, t):
    """llmdata's value with float32 rounded as float32 (it writes the shortest float32 digits)."""
    if v is None:
        return None
    if pa.types.is_float32(t) or pa.types.is_float16(t):
        return f32(v)
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return [got_canon(x, t.value_type) for x in v]
    if pa.types.is_struct(t):
        return {k: got_canon(x, t.field(k).type) for k, x in v.items()}
    return v


def expected_rows(table):
    """to_pylist, with temporal columns as their stored integers."""
    cols = {}
    for name, col in zip(table.column_names, table.columns):
        t = col.type
        if pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_time(t):
            width = pa.int32() if t.bit_width == 32 else pa.int64()
            cols[name] = [canon(x, width) for x in col.cast(width).to_pylist()]
        else:
            cols[name] = [canon(x, t) for x in col.to_pylist()]
    return [{n: cols[n][i] for n in table.column_names} for i in range(table.num_rows)]


def run(args, stdin=None):
    p = subprocess.run([BIN] + args, input=stdin, capture_output=True)
    if p.returncode < 0 or p.returncode > 2:
        fail(f"llmdata {' '.join(args)} crashed (exit {p.returncode}): {p.stderr.decode(errors='replace')[-500:]}")
    return p


def check_file(path, table, text_field="text", stdin=False):
    """Reads `path` through the passthrough and compares every record with pyarrow's."""
    name = os.path.basename(path)
    args = PASS + ["--text-field", text_field]
    if stdin:
        with open(path, "rb") as f:
            p = run(args, stdin=f.read())
        name = "stdin"
    else:
        p = run(args + [path])
    if p.returncode != 0:
        fail(f"{path}: exit {p.returncode}: {p.stderr.decode(errors='replace')[-500:]}")
        return 0
    lines = p.stdout.decode().split("\n")[:-1]
    want = expected_rows(table)
    if len(lines) != len(want):
        fail(f"{path}: {len(lines)} records, pyarrow reads {len(want)}")
        return 0
    has_id = "id" in table.column_names
    bad = 0
    for i, (line, exp) in enumerate(zip(lines, want)):
        rec = json.loads(line)
        keys = list(rec.keys())
        order = table.column_names + ([] if has_id else ["id"])
        if keys != order:
            fail(f"{path}:{i + 1}: fields {keys}, expected {order}")
            bad += 1
        if not has_id:
            if rec.pop("id", None) != f"{name}:{i + 1}":
                fail(f"{path}:{i + 1}: id is not {name}:{i + 1}")
                bad += 1
        got = {k: got_canon(v, table.schema.field(k).type) if k in table.column_names else v for k, v in rec.items()}
        if got != exp:
            diff = {k: (got.get(k), exp.get(k)) for k in exp if got.get(k) != exp.get(k)}
            fail(f"{path}:{i + 1}: differs from pyarrow: {str(diff)[:400]}")
            bad += 1
        if bad > 5:
            break
    return len(lines)


def random_text(rng, n):
    alphabet = "abcdefghij klmnop\n\t\"\\/é中文ü🙂\x01\x1f" + "xyz " * 8
    return "".join(rng.choice(alphabet) for _ in range(n))


def main_table(n, seed):
    rng = random.Random(seed)

    def maybe(v, p=0.15):
        return None if rng.random() < p else v

    def ints(lo, hi):
        return [maybe(rng.choice([lo, hi, 0, -1, 1, rng.randint(lo, hi)])) for _ in range(n)]

    def struct_ab():
        return maybe({"a": maybe(rng.randint(-9, 9) * 10**12), "b": maybe(random_text(rng, rng.randint(0, 6)))})

    floats = [0.1, -0.0, 1e-45, 3.4e38, float("nan"), float("inf"), -float("inf"), 1.5, 2.0**-149]
    doubles = [0.1, -0.0, 5e-324, 1.7976931348623157e308, float("nan"), float("inf"), 1e16, 123456789.125, 1 / 3]
    return pa.table({
        "text": pa.array([random_text(rng, rng.randint(0, 80)) for _ in range(n)], pa.string()),
        "title": pa.array([maybe(random_text(rng, rng.randint(0, 20))) for _ in range(n)], pa.large_string()),
        "lang": pa.array([maybe(rng.choice(["en", "zh", "de"])) for _ in range(n)], pa.string()),
        "i32": pa.array(ints(-2**31, 2**31 - 1), pa.int32()),
        "i64": pa.array(ints(-2**63, 2**63 - 1), pa.int64()),
        "f32": pa.array([maybe(rng.choice(floats + [rng.uniform(-1e6, 1e6)])) for _ in range(n)], pa.float32()),
        "f64": pa.array([maybe(rng.choice(doubles + [rng.uniform(-1e6, 1e6)])) for _ in range(n)], pa.float64()),
        "flag": pa.array([maybe(rng.random() < 0.5) for _ in range(n)], pa.bool_()),
        "blob": pa.array([maybe(rng.randbytes(rng.randint(0, 12))) for _ in range(n)], pa.binary()),
        "li": pa.array([maybe([maybe(rng.randint(-5, 5)) for _ in range(rng.randint(0, 4))]) for _ in range(n)], pa.list_(pa.int64())),
        "ls": pa.array([maybe([maybe(random_text(rng, 3)) for _ in range(rng.randint(0, 4))]) for _ in range(n)], pa.list_(pa.string())),
        "st": pa.array([struct_ab() for _ in range(n)], pa.struct([("a", pa.int64()), ("b", pa.string())])),
        "lst": pa.array([maybe([struct_ab() for _ in range(rng.randint(0, 3))]) for _ in range(n)],
                        pa.list_(pa.struct([("a", pa.int64()), ("b", pa.string())]))),
        "lll": pa.array([maybe([maybe([maybe(rng.randint(0, 9)) for _ in range(rng.randint(0, 3))]) for _ in range(rng.randint(0, 3))])
                         for _ in range(n)], pa.list_(pa.list_(pa.int32()))),
    })


def logical_table():
    ts = [datetime.datetime(2020, 1, 2, 3, 4, 5, 6), None, datetime.datetime(1900, 6, 1)]
    return pa.table({
        "text": ["a", "b", "c"],
        "ts_ms": pa.array(ts, pa.timestamp("ms")),
        "ts_us_tz": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "ts_ns": pa.array([1_600_000_000_123_456_789, None, -1], pa.timestamp("ns")),
        "d32": pa.array([datetime.date(1969, 12, 31), None, datetime.date(2038, 1, 20)], pa.date32()),
        "t32": pa.array([1000, None, 86_399_999], pa.time32("ms")),
        "t64": pa.array([1, None, 86_399_999_999], pa.time64("us")),
        "dec": pa.array([decimal.Decimal("-12.34"), decimal.Decimal("0.00"), None], pa.decimal128(9, 2)),
        "dec18": pa.array([decimal.Decimal("-0.000000001"), None, decimal.Decimal("123456789.123456789")], pa.decimal128(18, 9)),
        "dec38": pa.array([decimal.Decimal("12345678901234567890.0123456789"), decimal.Decimal("-1E-10"), None], pa.decimal128(38, 10)),
        "u8": pa.array([255, None, 0], pa.uint8()),
        "u16": pa.array([65535, 1, None], pa.uint16()),
        "u32": pa.array([4294967295, 0, None], pa.uint32()),
        "u64": pa.array([18446744073709551615, 1, None], pa.uint64()),
        "i8": pa.array([-128, 127, None], pa.int8()),
        "i16": pa.array([-32768, None, 32767], pa.int16()),
        "h": pa.array(np.array([1.5, -0.0, 65504.0], np.float16)),
        "m": pa.array([[("a", 1), ("b", None)], None, []], pa.map_(pa.string(), pa.int64())),
        "dic": pa.array(["x", None, "x"]).dictionary_encode(),
        "fsb": pa.array([b"abcd", None, b"\x00\xff\x00\xff"], pa.binary(4)),
        "u": pa.array([uuid.UUID(int=1).bytes, None, uuid.uuid4().bytes], pa.uuid()),
        "nul": pa.array([None, None, None], pa.null()),
    })


def expect_error(path, words, args=None):
    p = run((args or PASS) + [path])
    err = p.stderr.decode(errors="replace")
    if p.returncode != 2 or f"{path}: " not in err or not all(w in err for w in words):
        fail(f"{path}: expected exit 2 with '{path}: ' and {words}, got exit {p.returncode}: {err[-300:]}")


def main():
    os.makedirs(WORK, exist_ok=True)
    n = 2500
    t = main_table(n, 1)
    files = 0
    rows = 0
    for comp in ["snappy", "zstd", "gzip", "none"]:
        for dictionary in [True, False]:
            for version in ["1.0", "2.0"]:
                path = os.path.join(WORK, f"main-{comp}-{'dict' if dictionary else 'plain'}-v{version[0]}.parquet")
                pq.write_table(t, path, compression=comp, use_dictionary=dictionary, data_page_version=version,
                               row_group_size=900, data_page_size=2048)
                md = pq.read_metadata(path)
                assert md.num_row_groups == 3, md
                rows += check_file(path, t)
                files += 1
    # the same table in one row group, pyarrow's defaults
    path = os.path.join(WORK, "main-defaults.parquet")
    pq.write_table(t, path)
    rows += check_file(path, t)
    rows += check_file(path, t, stdin=True)
    files += 1
    # BYTE_STREAM_SPLIT floats
    path = os.path.join(WORK, "main-bss.parquet")
    pq.write_table(t, path, use_dictionary=False, column_encoding={"f32": "BYTE_STREAM_SPLIT", "f64": "BYTE_STREAM_SPLIT"})
    rows += check_file(path, t)
    files += 1
    # logical types, and INT96 timestamps
    lt = logical_table()
    for version in ["1.0", "2.0"]:
        path = os.path.join(WORK, f"logical-v{version[0]}.parquet")
        pq.write_table(lt, path, data_page_version=version)
        rows += check_file(path, lt)
        files += 1
    path = os.path.join(WORK, "int96.parquet")
    t96 = lt.select(["text", "ts_ns"])
    pq.write_table(t96, path, use_deprecated_int96_timestamps=True)
    rows += check_file(path, t96)
    files += 1
    # an id column is kept as it is; a text column under another name
    ti = pa.table({"id": pa.array([7, None, 9], pa.int64()), "content": ["x", "y", "z"]})
    path = os.path.join(WORK, "ids.parquet")
    pq.write_table(ti, path)
    rows += check_file(path, ti, text_field="content")
    files += 1
    # the committed sample corpus: records round-trip through Parquet
    for sample in SAMPLES:
        with open(sample, encoding="utf-8") as f:
            records = [json.loads(line) for line in f if line.strip()]
        ts = pa.Table.from_pylist(records)
        path = os.path.join(WORK, os.path.basename(sample).replace(".jsonl", ".parquet"))
        pq.write_table(ts, path, row_group_size=40, compression="zstd")
        rows += check_file(path, ts)
        files += 1
        p = run(PASS + [path])
        for rec, orig in zip(map(json.loads, p.stdout.decode().split("\n")[:-1]), records):
            if rec["text"] != orig["text"] or rec.get("id") != orig.get("id"):
                fail(f"{path}: record {orig.get('id')} does not round-trip")
                break
    # the DELTA encodings (Spark's, DuckDB's and parquet-rs's writers use them)
    delta = {"i32": "DELTA_BINARY_PACKED", "i64": "DELTA_BINARY_PACKED", "text": "DELTA_LENGTH_BYTE_ARRAY",
             "title": "DELTA_BYTE_ARRAY", "blob": "DELTA_BYTE_ARRAY", "lang": "DELTA_BYTE_ARRAY"}
    for version in ["1.0", "2.0"]:
        path = os.path.join(WORK, f"delta-v{version[0]}.parquet")
        pq.write_table(t, path, use_dictionary=False, column_encoding=delta, data_page_version=version,
                       row_group_size=1000, data_page_size=4096)
        rows += check_file(path, t)
        files += 1
    # refused and broken files
    for codec, name in [("lz4", "LZ4_RAW"), ("brotli", "BROTLI")]:
        path = os.path.join(WORK, f"{codec}.parquet")
        pq.write_table(t, path, compression=codec)
        expect_error(path, [name, "not supported"])
    good = os.path.join(WORK, "main-snappy-dict-v1.parquet")
    data = open(good, "rb").read()
    path = os.path.join(WORK, "truncated.parquet")
    open(path, "wb").write(data[: len(data) // 2])
    expect_error(path, ["truncated"])
    path = os.path.join(WORK, "not.parquet")
    open(path, "wb").write(b'{"text": "a JSON line"}\n' * 10)
    expect_error(path, ["not a Parquet file"])
    # corrupted bytes: any outcome but a crash (run() fails on a signal or an unknown exit code)
    rng = random.Random(7)
    small = os.path.join(WORK, "small.parquet")
    pq.write_table(t.slice(0, 60), small, row_group_size=25, data_page_size=512)
    sdata = open(small, "rb").read()
    path = os.path.join(WORK, "corrupt.parquet")
    outcomes = {}
    for k in range(300):
        b = bytearray(sdata)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        if k % 3 == 0:
            b = b[: rng.randrange(len(b))] + b[len(b) - 8:]
        open(path, "wb").write(b)
        p = run(PASS + [path])
        outcomes[p.returncode] = outcomes.get(p.returncode, 0) + 1
    print(f"corrupted files: exit codes {dict(sorted(outcomes.items()))}, no crash" if all(c in (0, 1, 2) for c in outcomes) else "")
    print(f"parquet: {files} files, {rows} records compared with pyarrow {pa.__version__}; {len(failures)} failures")
    sys.exit(1 if failures else 0)


main()
