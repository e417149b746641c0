#!/usr/bin/env python3
"""A PNG check for the report screenshot, standard library only (scripts/check.d/90-report.sh).

    report_png.py check SHOT.png [--min-colors N] [--min-ink F]
        exits 1 when the image is nearly blank: fewer than N distinct colours, or less than a
        share F of its pixels differ from the background (the most common colour)
    report_png.py crop SHOT.png OUT.png Y0 Y1
        writes rows Y0..Y1 of the image (to look at a tall screenshot in pieces)
"""
import struct
import sys
import zlib
from collections import Counter


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos, idat, width = 8, [], None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise SystemExit(f"{path}: only 8-bit RGB/RGBA non-interlaced PNGs are read (depth {depth}, type {ctype})")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if width is None:
        raise SystemExit(f"{path}: no IHDR")
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 255
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def write_png(path, width, bpp, rows):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    ctype = 2 if bpp == 3 else 6
    raw = b"".join(b"\x00" + r for r in rows)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, len(rows), 8, ctype, 0, 0, 0))
    out += chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    open(path, "wb").write(out)


def check(path, min_colors, min_ink):
    width, height, bpp, rows = read_png(path)
    colors = Counter()
    for r in rows[::2]:
        for x in range(0, len(r), bpp * 2):
            colors[r[x:x + 3]] += 1
    total = sum(colors.values())
    background, bg_count = colors.most_common(1)[0]
    ink = 1 - bg_count / total
    print(f"{path}: {width}x{height}, {len(colors)} distinct colours (sampled), {ink:.1%} of pixels not background")
    if len(colors) < min_colors:
        print(f"FAIL: fewer than {min_colors} distinct colours: the page looks blank or unstyled")
        return 1
    if ink < min_ink:
        print(f"FAIL: less than {min_ink:.0%} of the pixels differ from the background: the page looks blank")
        return 1
    return 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "check":
        min_colors, min_ink = 24, 0.03
        rest = argv[2:]
        while rest:
            if rest[0] == "--min-colors":
                min_colors = int(rest[1])
            elif rest[0] == "--min-ink":
                min_ink = float(rest[1])
            rest = rest[2:]
        return check(argv[1], min_colors, min_ink)
    if len(argv) == 5 and argv[0] == "crop":
        width, height, bpp, rows = read_png(argv[1])
        y0, y1 = max(0, int(argv[3])), min(height, int(argv[4]))
        write_png(argv[2], width, bpp, rows[y0:y1])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
