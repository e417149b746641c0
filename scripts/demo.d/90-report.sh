#!/usr/bin/env bash
# Demo: the HTML report of the demo run (scripts/demo.d/80-run.sh): one self-contained page with
# the funnel, languages, lengths, dedup, tokens, sampled dropped documents and provenance.
set -euo pipefail
out="$DEMO_OUT/report.html"
echo "== report: $DEMO_OUT/run -> $out"
"$LLMDATA_BIN" report "$DEMO_OUT/run" -o "$out" --quiet
echo "   $out: $(stat -c %s "$out" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta') bytes (open it in a browser: file://$out)"
