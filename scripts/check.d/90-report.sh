#!/usr/bin/env bash
# llmdata report in a real browser: the demo recipe (fixtures/recipe.yaml) is run, its report is
# written and rendered by headless Chromium (installed by `make test`: make browser-deps). Fails on
# a script error in the page, a missing or nearly blank screenshot, a search filter that does not
# filter, a page that does not print, or figures that differ from run.json and the stats files.
# The screenshot is kept at .data/report-screenshot.png.
set -euo pipefail
source scripts/lib.sh
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
  echo "chromium is not installed: run make browser-deps (make test does)"
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$DATA_DIR"
shot=$DATA_DIR/report-screenshot.png
rm -f "$shot"

"$LLMDATA_BIN" run fixtures/recipe.yaml -o "$work/run" --quiet
"$LLMDATA_BIN" report "$work/run" -o "$work/report.html" --quiet
page="file://$work/report.html"
# a profile of its own, so that a running browser of the user is not involved
browse() { "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
  --user-data-dir="$work/profile" "$@"; }

# 1. the screenshot at laptop width
browse --window-size=1280,2400 --screenshot="$shot" "$page" >/dev/null 2>"$work/shot.log" || { cat "$work/shot.log"; exit 1; }
[ -s "$shot" ] || { echo "FAIL: no screenshot at $shot"; cat "$work/shot.log"; exit 1; }
python3 scripts/report_png.py check "$shot"

# 2. script errors: the console goes to stderr; the DOM after the scripts ran goes to stdout
browse --enable-logging=stderr --v=0 --dump-dom "$page" >"$work/dom.html" 2>"$work/console.log"
if grep -E "Uncaught|SyntaxError|TypeError|ReferenceError" "$work/console.log"; then
  echo "FAIL: the page has a script error"
  exit 1
fi
# the script shows the search box (hidden without JS)
grep -q '<div class="search" id="sample-search">' "$work/dom.html" || { echo "FAIL: the sample search box was not shown by the script"; exit 1; }

# 3. the search filter: ?reason=gopher_repetition hides every other reason
browse --enable-logging=stderr --v=0 --dump-dom "$page?reason=gopher_repetition" >"$work/filtered.html" 2>"$work/console2.log"
! grep -q "Uncaught" "$work/console2.log" || { grep "Uncaught" "$work/console2.log"; exit 1; }
python3 - "$work/filtered.html" <<'PY'
import re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
tags = re.findall(r'<details class="reason"[^>]*>', dom)
shown = [t for t in tags if " hidden" not in t]
hidden = [t for t in tags if " hidden" in t]
assert tags, "no <details class=reason> in the page"
bad = [t for t in shown if "gopher_repetition" not in t]
assert not bad, f"the filter shows other reasons: {bad[:2]}"
assert shown and hidden, f"the filter did nothing: {len(shown)} shown, {len(hidden)} hidden"
print(f"search filter: {len(shown)} of {len(tags)} reasons shown for 'gopher_repetition'")
PY

# 4. printing opens every collapsed section: the printed page has as many pages as a copy of it
# with every <details> open
sed 's/<details /<details open /g' "$work/report.html" > "$work/open.html"
for f in report open; do
  browse --no-pdf-header-footer --print-to-pdf="$work/$f.pdf" "file://$work/$f.html" >/dev/null 2>"$work/pdf.log" || { cat "$work/pdf.log"; exit 1; }
done
pages() { python3 -c 'import re, sys; print(len(re.findall(rb"/Type\s*/Page[^s]", open(sys.argv[1], "rb").read())))' "$1"; }
printed=$(pages "$work/report.pdf") opened=$(pages "$work/open.pdf")
if [ "$printed" -lt 2 ] || [ "$printed" -ne "$opened" ]; then
  echo "FAIL: the page prints on $printed pages, with every section open on $opened"
  exit 1
fi
echo "print: $printed pages, collapsed sections printed open"

# 5. the figures in the rendered page against run.json and the stats files
python3 - "$work/dom.html" "$work/run" <<'PY'
import json, re, sys, html, os
dom, run_dir = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
got = {}
for k, v in re.findall(r'data-key="([^"]*)" data-value="([^"]*)"', dom):
    got.setdefault(html.unescape(k), set()).add(html.unescape(v))
run = json.load(open(os.path.join(run_dir, "run.json")))
want = {}
for i, st in enumerate(run["stages"], 1):
    stats = json.load(open(os.path.join(run_dir, st["stats"])))
    want[f"stage.{i}.records_in"] = st["records_in"]
    want[f"stage.{i}.records_out"] = st["records_out"]
    want[f"stage.{i}.dropped"] = sum(st["dropped"].values())
    for r, n in st["dropped"].items():
        want[f"stage.{i}.dropped.{r}"] = n
    if stats["stage"] == "langid":
        for k, n in stats["counters"].items():
            if k.startswith(("language.", "language_bytes.", "language_score.")):
                want[k] = n
    if stats["stage"] == "tokenize":
        want["tokens.tokens"] = stats["tokens"]
for i, f in enumerate(run["outputs"]):
    want[f"output.{i}.bytes"] = f["bytes"]
    want[f"output.{i}.sha256"] = f["sha256"]
bad = [(k, v, got.get(k)) for k, v in want.items() if got.get(k) != {str(v)}]
for b in bad[:10]:
    print("FAIL: %s: run.json/stats %s, page %s" % b)
if bad:
    sys.exit(1)
print(f"figures: {len(want)} checked against run.json and the stats files")
PY
echo "report: $(stat -c %s "$work/report.html") bytes; screenshot $shot"
