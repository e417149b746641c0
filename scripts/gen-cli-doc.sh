#!/usr/bin/env bash
# Regenerates docs/cli.md from the binary's own --help (so the reference never drifts).
# Usage: scripts/gen-cli-doc.sh [LLMDATA_BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/llmdata}
{
  echo "# Command-line reference"
  echo
  echo "Generated from \`llmdata … --help\` by \`scripts/gen-cli-doc.sh\`. The record protocol, exit codes"
  echo "and \`--stats\` format are in [protocol.md](protocol.md)."
  echo
  echo "## Options every record stage shares"
  echo
  echo "| option | meaning |"
  echo "|---|---|"
  echo "| \`INPUT...\` | files or directories (recursive, sorted); \`-\` or nothing reads stdin |"
  echo "| \`--text-field NAME\` | the field holding the text (default \`text\`) |"
  echo "| \`--format jsonl\|json\|txt\|parquet\`, \`--txt-mode line\|paragraph\|file\` | how inputs become records |"
  echo "| \`--repair-utf8\` | repair invalid UTF-8 / lone surrogates to U+FFFD instead of rejecting |"
  echo "| \`--max-line-bytes N\` | skip and report longer lines (default 1 GiB) |"
  echo "| \`--shard-index I --shard-count N\` | run as task I of N: read only the input files whose number in the sorted list of all inputs is I mod N (0 <= I < N, else exit 2; stdin with N > 1 is exit 2); ids and outputs are a one-process run's ([scale-out.md](scale-out.md)) |"
  echo "| \`-o, --output\` | \`-\` (stdout), a file (\`.jsonl[.zst\|.gz]\`), or a directory mirroring the input tree |"
  echo "| \`--jobs N\` | worker threads, 1 to 1024, default all cores; output identical for any N |"
  echo "| \`--stats FILE\` | run statistics as JSON |"
  echo "| \`--rejected FILE\` | unreadable lines (each as a record holding the line, with file, line and reason) and dropped records (annotated) |"
  echo "| \`--strict\` | the first bad record is fatal (exit 1) |"
  echo "| \`--quiet\` | no progress line, no skip notices |"
  echo "| \`--overwrite\` | directory mode: rewrite existing outputs instead of skipping them |"
  echo "| \`--compression zst\|gz\|none\` | compression of directory outputs (default zst) |"
  echo "| \`--max-warnings N\` | print at most N per-record warnings (default 100) |"
  echo
  cat <<'MD'
Directory mode (`-o DIR/`, or an existing directory) writes `DIR/<input stem>.jsonl.zst` per input
and keeps its bookkeeping beside them:

- `DIR/.llmdata/<stem>.json`: written after that input's output (the commit): the options that shape
  the outputs (argv without inputs, `-o`, `--jobs`, `--stats`, `--rejected`, `--quiet`, `--strict`,
  `--max-warnings`, `--overwrite`, `--shard-index`, `--shard-count`), the input's and output's size
  and SHA-256, and the file's stats.
  `DIR/.llmdata/<stem>.rejected.jsonl[.zst|.gz]` holds its rejected records (with `--rejected`).
- `DIR/llmdata.json`, written when all outputs are done: `llmdata_version`, `stage`, `options` (the
  argv), `inputs` and `outputs` (paths relative to DIR) with `bytes` and `sha256`. Directory inputs
  skip it, task records and `.llmdata/`.
- With `--shard-index I --shard-count N` (N > 1), tasks may share DIR: their inputs, so their
  outputs and pieces, are disjoint. Each task's record is `DIR/llmdata.task-I-of-N.json` (the same
  fields for its own inputs and outputs, plus `task`), so no task reads, replaces or removes
  another's: a per-task record rather than one shared `llmdata.json`, which would need the tasks to
  coordinate (the last one to finish writing it), and which a task would otherwise take as made by
  other options and inputs. A task removes `llmdata.json` when it writes (the directory is then no
  longer one process's complete output), and `--overwrite` and the clean-up of `NAME.tmp-PID` files
  touch only its own files (another task's writer may be alive on another machine). The shard flags
  do not shape the outputs, so a rerun split another way, or in one process, reuses the complete ones
  (a one-process run's `llmdata.json` replaces the task records).

A rerun reuses the outputs whose record matches and writes the others again (an output without a
record, e.g. from a killed run, is rewritten); `--rejected` and `--stats` are assembled from every
input's pieces, so they equal an uninterrupted run's (`files_skipped` counts the reused outputs).
When the options, the inputs (content, added or removed files) or llmdata's version differ from
the records, the run stops before any work and names the change (exit 2; `--overwrite` starts
over). Leftover `NAME.tmp-PID` files of dead processes are removed at the start. DIR may not be, or
lie inside, an input directory, and `--rejected`, `--stats` or an output path that is an existing
directory fails before any input is read.

A whole pipeline from one recipe is `llmdata run` below ([recipe.md](recipe.md), [run.md](run.md)).

MD
  subs=$("$BIN" --help | awk '/^SUBCOMMANDS:/{f=1;next} f&&/^  [a-z]/{print $1}')
  for s in $subs; do
    echo "## llmdata $s"
    echo
    echo '```'
    "$BIN" "$s" --help 2>&1 | sed 's/(default: [0-9]*) *$//; s/Identical for any value. (default: [0-9]*)/Identical for any value./'
    echo '```'
    echo
    nested=$("$BIN" "$s" --help | awk '/^SUBCOMMANDS:/{f=1;next} f&&/^  [a-z]/{print $1}')
    for n in $nested; do
      echo "### llmdata $s $n"
      echo
      echo '```'
      "$BIN" "$s" "$n" --help 2>&1
      echo '```'
      echo
    done
  done
} > "${OUT:-docs/cli.md}"
echo "wrote ${OUT:-docs/cli.md}"
