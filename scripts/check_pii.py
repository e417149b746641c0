#!/usr/bin/env python3
"""Cross-checks `llmdata normalize --pii` against datatrove's PIIFormatter.

`llmdata normalize --pii --form none --no-clean` (so that only the PII replacement changes the
text) must give, on every document, byte-for-byte the text of

    PIIFormatter(email_replacement="email@example.com", ip_replacement="22.214.171.124").format(text)

and its `pii:email` / `pii:ip` counters must equal the number of replacements datatrove makes.
`--pii-phones` is checked the same way against datatrove followed by `phones()` below, a Python
model of the phone rules of docs/normalize.md written with Python regexes. The documents:
1. hand-written cases: e-mails (plain, subdomains, [1.2.3.4] literals, quoted and odd local-part
   characters, glued to CJK and to ASCII words, full-width), public, private, loopback,
   link-local, shared, reserved, multicast and documentation IPs and their network edges, and
   version numbers that look like IPs (1.2.3.4.5, 10.0.0.1.2, 256.1.1.1, 01.02.03.04, 1.2.3.045);
2. a seeded random generator of tricky strings (pieces of addresses, digits, dots, brackets,
   word and non-word characters, CJK, non-ASCII letters and digits Python's \\w does or does not
   take, characters newer than Python's Unicode);
3. real text: fixtures/sample/*.jsonl, and .data/en-corpus/heldout.jsonl and
   .data/langid-data/zh-web.jsonl when present, plus any FILE.jsonl given.

Usage: check_pii.py LLMDATA_BIN [--random N] [--seed S] [FILE.jsonl...]   (exit 1 on a mismatch)
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile

from datatrove.pipeline.formatters.pii import PIIFormatter

EMAIL = "email@example.com"
IP = "22.214.171.124"


def handwritten():
    t = []
    # e-mails
    t += [
        "write to john.doe@example.com today",
        "a@b.c", "a@b", "a@b.", "a@b.c.", "a@b.c-", "a@b-.c", "a@-b.c", "a@b..c", "a@b.c..d",
        "x@mail.server.example.co.uk.", "user+tag@sub-domain.example.org,", "first.last@x.y.z.w",
        "foo..bar@x.com", ".foo@x.com", "foo.@x.com", "foo.bar.@x.com", "-x@y.z", "_x@y.z",
        "!#$%&'*+/=?^_`{|}~-@example.com", "a'b@c.de", "\"quoted\"@example.com", "o'reilly@example.ie",
        "user@[192.168.0.1]", "user@[1.2.3.256]", "user@[1.2.3.4", "user@[1.2.3.IPv6:]", "user@[1.2.3.a-b:]",
        "user@[1.2.3.-:]", "user@[1.2.3.:]", "user@[01.2.3.4]", "user@[1.2.3.4]x",
        "联系abc@x.com", "联系 abc@x.com", "邮箱：abc@x.com。", "(abc@x.com)", "<abc@x.com>", "mailto:abc@x.com",
        "xyzabc@x.com", "é-abc@x.com", "é.abc@x.com", "-abc@x.com", "ab-c@x.com", "½abc@x.com", "٣abc@x.com",
        "a\u0301bc@x.com", "\u0301abc@x.com", "ǅabc@x.com", "ʰabc@x.com", "\U00011f04abc@x.com",
        "ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", "john＠example.com", "a@b@c.d", "a@b.c@d.e", "@x.com", "x@", "x@@y.z",
        "a@b.c.d.e.f.g", "a@1.2", "a@1.2.3.4", "a@b.c:8080", "a@b.c/path", "a@B.COM", "A.B@C.D",
        "e-mail: первый@пример.рф or ascii@пример.рф or ascii@xn--e1afmkfd.xn--p1ai",
        "a@b.c d@e.f", "a@b.cd@e.f", "a@b.c-d@e.f", "a.@b.c", "a..b@c.d..e@f.g",
    ]
    # IPs
    t += [
        "8.8.8.8", "1.1.1.1", "ping 93.184.216.34 now", "10.0.0.1", "127.0.0.1", "169.254.1.1", "172.16.0.1",
        "172.31.255.255", "172.32.0.1", "192.168.1.1", "100.64.0.1", "100.127.255.255", "100.128.0.1",
        "100.63.255.255", "192.0.0.1", "192.0.0.7", "192.0.0.8", "192.0.0.9", "192.0.0.170", "192.0.0.171",
        "192.0.0.172", "192.0.2.1", "198.18.0.1", "198.19.255.255", "198.20.0.1", "198.51.100.7",
        "203.0.113.9", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "255.255.255.254",
        "0.0.0.0", "0.1.2.3", "1.0.0.0", "9.255.255.255", "11.0.0.0", "126.255.255.255", "128.0.0.1",
        "1.2.3.4.5", "10.0.0.1.2", "256.1.1.1", "01.02.03.04", "1.2.3.045", "1.2.3.04", "1.2.3.0",
        "1.1.1.256", "1.1.1.256.1.1.1", "1234.5.6.7", "1.2.3.4567", "255.255.255.2555", "999.999.999.999",
        "1.2.3", "1.2.3.", ".1.2.3.4", "1..2.3.4", "v1.2.3.4", "1.2.3.4a", "a1.2.3.4", "1.2.3.4.5.6.7.8",
        "8.8.8.8:53", "http://8.8.8.8/x", "[8.8.8.8]", "8.8.8.8,8.8.4.4", "version 2.10.3.1 released",
        "IP 1.2.3.4 or 001.2.3.4 or 1.02.3.4", "3.14.15.92.65.35", "2001:db8::1 and ::ffff:8.8.8.8",
        "８．８．８．８", "1.2.3.4\u0663", "\u06631.2.3.4", "20.30.40.50 60.70.80.90",
        "user@8.8.8.8", "user@[8.8.8.8]", "8.8.8.8@example.com", "a@b.c 8.8.8.8",
    ]
    # edges of every network the validator looks at
    nets = ["0.0.0.0/8", "10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/29",
            "192.0.0.170/31", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
            "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32", "100.64.0.0/10", "224.0.0.0/4"]
    import ipaddress
    edges = []
    for n in nets:
        net = ipaddress.ip_network(n)
        lo, hi = int(net.network_address), int(net.broadcast_address)
        for v in (lo - 1, lo, lo + 1, hi - 1, hi, hi + 1):
            if 0 <= v < 2 ** 32:
                edges.append(str(ipaddress.ip_address(v)))
    t.append(" ".join(edges))
    t += edges
    return t


PIECES = [
    "a", "b", "Z", "ab", "x9", "com", "org", "co", "uk", "IPv6", "mail", "x-y", "-", "_", ".", "..", "@", "@",
    "[", "]", ":", "+", " ", " ", "'", "!", "#", "~", "`", "=", "/", "\"", "(", ")", ",", "\n", "\t",
    "0", "1", "2", "00", "01", "9", "10", "25", "255", "256", "250", "249", "199", "300", "999", "1000", "045",
    "127", "192", "168", "172", "16", "31", "32", "100", "64", "128", "169", "254", "224", "240", "203", "113",
    "联系", "电话", "邮箱", "é", "ß", "\u0663", "Ⅻ", "½", "²", "\u0301", "ª", "·", "–", "＠", "．", "１",
    "😀", "\u200d", "ǅ", "ʰ", "\U00011f04", "\u3000", "Ω", "к", "ا", "\u0e01",
]


def random_ip(rng):
    def octet():
        r = rng.random()
        if r < 0.6:
            return str(rng.randrange(256))
        if r < 0.8:
            return rng.choice(["0", "00", "01", "010", "255", "256", "25", "2", "199", "249", "250", "260", "300", "1000"])
        return str(rng.randrange(1000))
    return ".".join(octet() for _ in range(rng.choice([3, 4, 4, 4, 4, 5])))


def random_email(rng):
    def word():
        return "".join(rng.choice("abcxyz019-_+.'!~") for _ in range(rng.randint(1, 6)))
    local = word()
    if rng.random() < 0.15:
        dom = "[" + random_ip(rng) + rng.choice(["", "]", "]", "]", ":]", "x:]", "IPv6:]"]) 
    else:
        dom = ".".join("".join(rng.choice("abcxyz019-") for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(1, 4)))
        dom += rng.choice(["", "", ".", "-", ".-", "..x"])
    return local + "@" + dom


def randomized(n, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 14)):
            r = rng.random()
            if r < 0.2:
                parts.append(random_ip(rng))
            elif r < 0.4:
                parts.append(random_email(rng))
            else:
                parts.append(rng.choice(PIECES))
        out.append("".join(parts))
    return out


# The phone rules of docs/normalize.md § PII, as Python regexes (independent of PII.swift's byte
# matcher): left and right boundaries as look-arounds, E.164 possessive (the whole group sequence).
LEFT = r"(?<![A-Za-z0-9_+@])(?<![A-Za-z0-9][./-])"
RIGHT = r"(?![A-Za-z0-9_@])(?![./-][A-Za-z0-9])"
CN = re.compile(LEFT + r"(?:(?:\(\+86\)|\+86|0086)[ -]?|86[ -])?1[3-9][0-9]"
                r"(?:(?P<sep>[ -])[0-9]{4}(?P=sep)[0-9]{4}(?!(?P=sep)[0-9])|[0-9]{8})" + RIGHT)
E164 = re.compile(LEFT + r"\+[1-9][0-9]*+(?:[ -][0-9]++)*+" + RIGHT)
PHONE = "+00 0000 0000"


def phones(s):
    out, i, last, count = [], 0, 0, 0
    while i < len(s):
        m = CN.match(s, i)
        if m and m.group("sep") and i >= 2 and s[i - 1] == m.group("sep") and s[i - 2] in "0123456789":
            m = None
        if not m:
            m = E164.match(s, i)
            if m and not 8 <= sum(c.isdigit() for c in m.group(0)) <= 15:
                m = None
        if m:
            out.append(s[last:i])
            out.append(PHONE)
            last = i = m.end()
            count += 1
        else:
            i += 1
    out.append(s[last:])
    return "".join(out), count


PHONE_PIECES = ["1", "13812345678", "138", "1234", "5678", "+", "+86", "(+86)", "0086", "86", "86-", "+44", "+1",
                " ", " ", "-", "-", ".", "/", "_", "@", "a", "X", "电话", "：", ",", "0", "9", "20", "7946",
                "0958", "2026120812345", "110105199003071234", "\n", "é", "(", ")"]


def random_phones(n, seed):
    rng = random.Random(seed)
    return ["".join(rng.choice(PHONE_PIECES) for _ in range(rng.randint(1, 16))) for _ in range(n)]


def read_jsonl(path):
    texts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line).get("text")
            if isinstance(t, str):
                texts.append(t)
    return texts


def datatrove_counts(fmt, text):
    """Replacements datatrove makes: e-mail matches, then IP matches that pass the validator."""
    e = len(fmt.emails_replacer.regex.findall(text))
    after = fmt.emails_replacer.regex.sub(EMAIL, text)
    ip = sum(1 for m in fmt.ip_replacer.regex.finditer(after) if fmt.ip_replacer.validator(m.group(0)))
    return e, ip


def check(binary, name, texts, fmt, with_phones=False):
    with tempfile.TemporaryDirectory() as d:
        inp = os.path.join(d, "in.jsonl")
        stats = os.path.join(d, "stats.json")
        with open(inp, "w", encoding="utf-8") as f:
            for i, t in enumerate(texts):
                f.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
        r = subprocess.run([binary, "normalize", "--pii-phones" if with_phones else "--pii", "--form", "none", "--no-clean", "--quiet",
                            "--stats", stats, inp], capture_output=True)
        if r.returncode != 0:
            print(f"{name}: llmdata failed ({r.returncode}): {r.stderr.decode(errors='replace')}")
            return False
        got = [json.loads(l)["text"] for l in r.stdout.decode("utf-8").split("\n") if l.strip()]
        counters = json.load(open(stats)).get("counters", {})
    if len(got) != len(texts):
        print(f"{name}: {len(got)} records out, {len(texts)} in")
        return False
    bad = 0
    want_e = want_ip = want_ph = 0
    for i, (t, g) in enumerate(zip(texts, got)):
        want = fmt.format(t)
        e, ip = datatrove_counts(fmt, t)
        want_e += e
        want_ip += ip
        if with_phones:
            want, ph = phones(want)
            want_ph += ph
        if g.encode("utf-8") != want.encode("utf-8"):
            bad += 1
            if bad <= 5:
                print(f"{name} #{i}: differs\n  text:      {t!r}\n  datatrove: {want!r}\n  llmdata:   {g!r}")
    ce, ci, cp = counters.get("pii:email", 0), counters.get("pii:ip", 0), counters.get("pii:phone", 0)
    ok = bad == 0 and ce == want_e and ci == want_ip and cp == want_ph
    print(f"{name}{' --pii-phones' if with_phones else ''}: {len(texts) - bad}/{len(texts)} documents identical; "
          f"pii:email {ce} (datatrove {want_e}), pii:ip {ci} (datatrove {want_ip})"
          + (f", pii:phone {cp} (model {want_ph})" if with_phones else "")
          + ("" if ok else "  MISMATCH"))
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("files", nargs="*")
    ap.add_argument("--random", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=20261208)
    a = ap.parse_args()
    fmt = PIIFormatter(email_replacement=EMAIL, ip_replacement=IP)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = sorted(os.path.join(root, "fixtures/sample", f) for f in os.listdir(os.path.join(root, "fixtures/sample"))
                   if f.endswith(".jsonl"))
    for extra in (".data/en-corpus/heldout.jsonl", ".data/langid-data/zh-web.jsonl"):
        p = os.path.join(root, extra)
        if os.path.exists(p):
            files.append(p)
    files += a.files
    ok = check(a.binary, "hand-written", handwritten(), fmt)
    ok &= check(a.binary, f"random (seed {a.seed})", randomized(a.random, a.seed), fmt)
    ok &= check(a.binary, f"random phones (seed {a.seed})", random_phones(a.random, a.seed), fmt, with_phones=True)
    for f in files:
        texts = read_jsonl(f)
        ok &= check(a.binary, os.path.relpath(f, root), texts, fmt)
        ok &= check(a.binary, os.path.relpath(f, root), texts, fmt, with_phones=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
