#!/usr/bin/env bash
# Stops the cluster scripts/slurm/up.sh DIR started: exactly the processes in DIR/pids
# ("pid name starttime" lines), TERM then, after 10 s, KILL. A PID whose start time differs
# (the process is gone and the number reused) is left alone. Removes DIR/pids.
set -uo pipefail

DIR=${1:?usage: down.sh DIR}
PIDS=$DIR/pids
log() { echo "slurm-down: $*" >&2; }
[ -e "$PIDS" ] || { log "nothing to stop ($PIDS does not exist)"; exit 0; }

starttime() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  # shellcheck disable=SC2086
  set -- $s
  [ "$1" != Z ] || return 1 # exited, not yet reaped
  echo "${20}"
}
is_ours() { [ "$(starttime "$1" || true)" = "$2" ]; }

pids=() names=() starts=()
while read -r pid name start; do
  [ -n "$pid" ] || continue
  pids+=("$pid") names+=("$name") starts+=("$start")
done <"$PIDS"

# Jobs still in this cluster would leave slurmstepd processes behind: cancel them while slurmctld runs.
if [ -f "$DIR/slurm.conf" ]; then
  for i in "${!pids[@]}"; do
    if [ "${names[$i]}" = slurmctld ] && is_ours "${pids[$i]}" "${starts[$i]}"; then
      jobs=$(SLURM_CONF=$DIR/slurm.conf timeout 5 squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ')
      if [ -n "${jobs// /}" ]; then
        log "cancelling jobs: $jobs"
        # shellcheck disable=SC2086
        SLURM_CONF=$DIR/slurm.conf timeout 5 scancel $jobs 2>/dev/null
        sleep 1
      fi
    fi
  done
fi

# TERM in reverse start order (slurmd, slurmctld, munged).
for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
  if is_ours "${pids[$i]}" "${starts[$i]}"; then
    log "stopping ${names[$i]} (pid ${pids[$i]})"
    kill -TERM "${pids[$i]}" 2>/dev/null
  fi
done
for _ in $(seq 100); do
  left=0
  for i in "${!pids[@]}"; do is_ours "${pids[$i]}" "${starts[$i]}" && left=1; done
  [ $left = 0 ] && break
  sleep 0.1
done
for i in "${!pids[@]}"; do
  if is_ours "${pids[$i]}" "${starts[$i]}"; then
    log "${names[$i]} (pid ${pids[$i]}) still running after 10 s: KILL"
    kill -KILL "${pids[$i]}" 2>/dev/null
  fi
done
rm -f "$PIDS"
exit 0
