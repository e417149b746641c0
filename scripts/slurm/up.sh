#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this machine (munged, slurmctld, slurmd) for the test suite.
# Usage: up.sh DIR. Runs as root; the packages come from `make slurm-deps`.
# DIR gets slurm.conf, state/, spool/, log/ and pids (the processes this script started, one
# "pid name starttime" line each; scripts/slurm/down.sh DIR stops exactly those).
# The only stdout line is `export SLURM_CONF=DIR/slurm.conf`; progress and errors go to stderr.
# Already up (DIR/pids alive and sinfo answers): prints the export line and exits 0.
# A munged that already works (`munge -n | unmunge`) is reused and not recorded as ours.
set -euo pipefail

DIR=${1:?usage: up.sh DIR}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
CONF=$DIR/slurm.conf
PIDS=$DIR/pids
NODE=$(hostname -s)
TIMEOUT=${SLURM_UP_TIMEOUT:-60}
export SLURM_CONF=$CONF
t0=$SECONDS

log() { echo "slurm-up: $*" >&2; }
tails() { # each daemon's log file, else its stdout/stderr (what it wrote before it opened the log)
  local d f
  for d in munged slurmctld slurmd; do
    f=$DIR/log/$d.log
    [ -s "$f" ] || f=$DIR/log/$d.out
    [ -s "$f" ] || continue
    echo "----- tail $f" >&2
    tail -n 20 "$f" >&2
  done
}
die() { log "error: $*"; tails; exit 1; }

# Field 22 of /proc/PID/stat (start time in clock ticks): tells our process from a reused PID;
# fails for a process that is gone or a zombie.
starttime() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  # shellcheck disable=SC2086
  set -- $s
  [ "$1" != Z ] || return 1 # exited, not yet reaped
  echo "${20}"
}
# True when every process in DIR/pids is still the one recorded.
ours_alive() {
  [ -s "$PIDS" ] || return 1
  local pid name start
  while read -r pid name start; do
    [ -n "$pid" ] || continue
    [ "$(starttime "$pid" || true)" = "$start" ] || return 1
  done <"$PIDS"
}
record() { # PID NAME
  local s
  s=$(starttime "$1") || die "$2 (pid $1) exited right after it started"
  echo "$1 $2 $s" >>"$PIDS"
}
node_state() { timeout 5 sinfo -h -N -n "$NODE" -o %t 2>/dev/null | head -n 1; }

# ---- already up?
if [ -e "$PIDS" ]; then
  if ours_alive && [ -n "$(node_state)" ]; then
    log "already up ($(awk '{printf "%s%s=%s", (NR > 1 ? " " : ""), $2, $1}' "$PIDS")) in $DIR"
    echo "export SLURM_CONF=$CONF"
    exit 0
  fi
  log "stale $PIDS: stopping what is left of it, then starting afresh"
  bash "$HERE/down.sh" "$DIR"
fi

[ "$(id -u)" = 0 ] || die "must run as root (SlurmUser=root; munged is started as user munge)"
for c in munged munge unmunge slurmctld slurmd sinfo scontrol setpriv; do
  command -v "$c" >/dev/null || die "$c not found: run \`make slurm-deps\` (packages slurmctld slurmd slurm-client munge)"
done
id munge >/dev/null 2>&1 || die "no user munge: is the munge package installed?"

# From here on, a failure stops whatever this script started.
ok=0
trap 'log "error: unexpected failure at line $LINENO"; tails' ERR
cleanup() { [ "$ok" = 1 ] || { [ -e "$PIDS" ] && bash "$HERE/down.sh" "$DIR" >&2 || true; }; }
trap cleanup EXIT

rm -rf "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/run"
mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/run"
: >"$PIDS"

# ---- munge
munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
if munge_ok; then
  log "reusing the running munged"
else
  key=/etc/munge/munge.key
  if [ ! -s "$key" ]; then
    log "creating $key"
    install -d -o munge -g munge -m 0700 /etc/munge
    mungekey --create --keyfile="$key" 2>/dev/null || dd if=/dev/urandom of="$key" bs=1024 count=1 status=none
    chown munge:munge "$key"
    chmod 0400 "$key"
  fi
  install -d -o munge -g munge -m 0755 /run/munge
  for d in /var/log/munge /var/lib/munge; do
    [ -d "$d" ] || install -d -o munge -g munge -m 0700 "$d"
  done
  other=$(for p in $(pgrep -x munged); do starttime "$p" >/dev/null && printf '%s ' "$p"; done || true)
  [ -z "$other" ] || die "a munged is running (pid ${other% }) but \`munge -n | unmunge\` fails; not touching it"
  setpriv --reuid=munge --regid=munge --init-groups munged --foreground </dev/null >>"$DIR/log/munged.out" 2>&1 &
  pid=$!
  sleep 0.2
  record $pid munged
  for _ in $(seq 50); do munge_ok && break; sleep 0.2; done
  munge_ok || die "munged (pid $pid) does not answer: \`munge -n | unmunge\` fails"
  log "munged started (pid $pid)"
fi

# ---- slurm.conf
in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
free_port() {
  local p=$1
  while in_use "$p" || [ "$p" = "${2:-}" ]; do p=$((p + 1)); done
  echo "$p"
}
CTLD_PORT=$(free_port 6817)
SLURMD_PORT=$(free_port 6818 "$CTLD_PORT")
CPUS=$(nproc)
MEM_MB=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)

cat >"$CONF" <<EOF
# One-node cluster for the llmdata test suite, written by scripts/slurm/up.sh.
ClusterName=llmdata
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
InactiveLimit=0
KillWait=5
MinJobAge=300
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF

# ---- daemons (foreground mode in the background: $! is the daemon itself)
slurmctld -D -f "$CONF" </dev/null >>"$DIR/log/slurmctld.out" 2>&1 &
pid=$!
sleep 0.2
record $pid slurmctld
slurmd -D -N "$NODE" -f "$CONF" </dev/null >>"$DIR/log/slurmd.out" 2>&1 &
pid=$!
sleep 0.2
record $pid slurmd
log "slurmctld (port $CTLD_PORT) and slurmd (port $SLURMD_PORT) started; waiting for node $NODE to be idle"

# ---- wait for the node
deadline=$((SECONDS + TIMEOUT))
last=
while :; do
  ours_alive || die "a daemon exited: $(while read -r p n _; do [ -d "/proc/$p" ] || printf '%s ' "$n"; done <"$PIDS")"
  st=$(node_state || true)
  last=$st
  case $st in
    idle | mix | alloc | comp) break ;;
    down* | drain* | drng* | fail*)
      log "node $NODE is $st: resuming it"
      timeout 5 scontrol update nodename="$NODE" state=resume >&2 || true ;;
  esac
  [ "$SECONDS" -lt "$deadline" ] || die "node $NODE not idle after ${TIMEOUT}s (sinfo state: '${last:-no answer}'; $(timeout 5 scontrol show node "$NODE" 2>&1 | grep -o 'Reason=.*' || true))"
  sleep 0.5
done

ok=1
log "up in $((SECONDS - t0))s: node $NODE idle ($CPUS CPUs, ${MEM_MB} MB), $DIR"
echo "export SLURM_CONF=$CONF"
