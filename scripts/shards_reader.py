#!/usr/bin/env python3
"""A reader for llmdata token shards written only from docs/shards.md, with numpy and zstandard.

    from shards_reader import read_documents
    for doc in read_documents("shards/"):   # numpy arrays, EOS included
        ...
"""
import json
import os
import sys

import numpy as np
import zstandard


def read_index(path):
    raw = open(path, "rb").read()
    assert raw[:8] == b"LLMDSIDX", "bad magic"
    version, width = np.frombuffer(raw, "<u4", 2, 8)
    docs, tokens, frames = (int(x) for x in np.frombuffer(raw, "<u8", 3, 16))
    offsets = np.frombuffer(raw, "<u8", docs + 1, 40)
    frame_table = np.frombuffer(raw, "<u8", 3 * frames, 40 + 8 * (docs + 1)).reshape(frames, 3)
    assert version == 1 and offsets[-1] == tokens
    return int(width), offsets, frame_table


def read_documents(directory):
    m = json.load(open(os.path.join(directory, "manifest.json")))
    dtype = np.dtype("<u2" if m["dtype"] == "uint16" else "<u4")
    for s in m["shards"]:
        width, offsets, _ = read_index(os.path.join(directory, s["index"]))
        assert width == dtype.itemsize
        with open(os.path.join(directory, s["file"]), "rb") as f:
            data = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True).read()
        tokens = np.frombuffer(data, dtype)
        assert len(tokens) == s["tokens"] == offsets[-1]
        for i in range(len(offsets) - 1):
            yield tokens[offsets[i]:offsets[i + 1]]


if __name__ == "__main__":
    n = t = 0
    for d in read_documents(sys.argv[1]):
        n += 1
        t += len(d)
    print(f"{n} documents, {t} tokens")
