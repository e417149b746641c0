#!/usr/bin/env bash
# llmdata run vs the shell pipeline of the same five subcommands on en100m.jsonl split into 20
# files: normalize → langid → filter (gopher_quality, gopher_repetition, c4, fineweb) → exact dedup
# → tokenize (GPT-2 ranks). Three ways, interleaved, best of 3 rounds:
#   run        llmdata run RECIPE -o RUNDIR (records/, rejected/ and stats/ per stage, shards/, run.json)
#   shell+     the pipe with the same outputs: --rejected FILE.jsonl.zst and --stats per stage, the
#              final records through tee into zstd, then tokenize
#   shell      the bare pipe (no rejected records, no stats, no records file)
# Checks that run's records equal shell+'s and that both shard sets hold the same token count.
# Prints wall seconds, MB/s of input, and peak RSS of llmdata run.
set -euo pipefail
source scripts/lib.sh
ensure_en_corpus
B=$LLMDATA_BIN
G=$PWD/fixtures/tokenize/gpt2.tiktoken
W=$DATA_DIR/run-bench
mkdir -p "$W"
if [ ! -s "$W/en100m-20/part-19.jsonl" ]; then
  rm -rf "$W/en100m-20"; mkdir -p "$W/en100m-20"
  n=$(wc -l < "$EN/en100m.jsonl")
  split -d -a 2 -l $(( (n + 19) / 20 )) --additional-suffix=.jsonl "$EN/en100m.jsonl" "$W/en100m-20/part-"
fi
cat > "$W/recipe.yaml" <<YAML
inputs: [en100m-20]
stages:
  - normalize:
  - langid:
  - filter: {rules: [gopher_quality, gopher_repetition, c4, fineweb]}
  - dedup: {mode: exact}
  - tokenize: {tiktoken: $G, pattern: gpt2}
YAML
R="gopher_quality,gopher_repetition,c4,fineweb"
run_run()   { rm -rf "$W/out"; "$B" run "$W/recipe.yaml" -o "$W/out" --quiet; }
run_shellp() {
  rm -rf "$W/sh"; mkdir -p "$W/sh"; local s=$W/sh
  "$B" normalize "$W/en100m-20" --quiet --rejected $s/r1.jsonl.zst --stats $s/s1.json \
  | "$B" langid --quiet --rejected $s/r2.jsonl.zst --stats $s/s2.json \
  | "$B" filter --rules $R --quiet --rejected $s/r3.jsonl.zst --stats $s/s3.json \
  | "$B" dedup --mode exact --quiet --rejected $s/r4.jsonl.zst --stats $s/s4.json \
  | tee >(zstd -q -3 > $s/records.jsonl.zst) \
  | "$B" tokenize --tiktoken "$G" --pattern gpt2 -o $s/shards --quiet --stats $s/s5.json
}
run_shell() {
  rm -rf "$W/shb"
  "$B" normalize "$W/en100m-20" --quiet | "$B" langid --quiet | "$B" filter --rules $R --quiet \
  | "$B" dedup --mode exact --quiet | "$B" tokenize --tiktoken "$G" --pattern gpt2 -o "$W/shb" --quiet
}
secs() { local s=$(date +%s.%N); "$@"; local e=$(date +%s.%N); echo "$e - $s" | bc -l; }
declare -A best
for round in 1 2 3; do
  for k in run shellp shell; do
    t=$(secs run_$k)
    if [ -z "${best[$k]:-}" ] || (( $(echo "$t < ${best[$k]}" | bc -l) )); then best[$k]=$t; fi
  done
done
sleep 0.5  # tee's zstd has closed its file
# the same records and tokens
for f in "$W"/out/records/*.zst; do zstd -q -d -c "$f"; done | cmp - <(zstd -q -d -c "$W/sh/records.jsonl.zst") \
  || { echo "run's records differ from the shell pipeline's"; exit 1; }
tok() { python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(m['documents'], m['tokens'])" "$1/manifest.json"; }
[ "$(tok "$W/out/shards")" = "$(tok "$W/sh/shards")" ] && [ "$(tok "$W/out/shards")" = "$(tok "$W/shb")" ] \
  || { echo "token counts differ: $(tok "$W/out/shards") / $(tok "$W/sh/shards") / $(tok "$W/shb")"; exit 1; }
mb=$(echo "$(du -sb "$W/en100m-20" | cut -f1) / 1000000" | bc -l)
rm -rf "$W/out"
/usr/bin/time -f "%M" -o "$DATA_DIR/.rss" "$B" run "$W/recipe.yaml" -o "$W/out" --quiet
rss=$(( $(cat "$DATA_DIR/.rss") / 1024 ))
printf "%-8s %8s %8s\n" way seconds "MB/s"
for k in run shellp shell; do
  printf "%-8s %8.2f %8.1f\n" "$( [ $k = shellp ] && echo shell+ || echo $k )" "${best[$k]}" "$(echo "$mb / ${best[$k]}" | bc -l)"
done
printf "run vs shell+ (same outputs): %.2fx; run vs bare shell: %.2fx; %s documents, tokens: %s; peak RSS of run: %d MB\n" \
  "$(echo "${best[shellp]} / ${best[run]}" | bc -l)" "$(echo "${best[shell]} / ${best[run]}" | bc -l)" \
  "$(tok "$W/out/shards" | cut -d' ' -f1)" "$(tok "$W/out/shards" | cut -d' ' -f2)" "$rss"
