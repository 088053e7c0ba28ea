#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the `vtx sweep --launcher slurm` tests and for trying sweeps.
# Debian slurm-wlm + munge, run as root without systemd (the recipe and how it was checked: docs/notes/slurm-local.md).
#
#   scripts/slurm-local.sh start    install slurm-wlm + munge if missing, start munged, slurmctld, slurmd; wait
#                                   until the node is idle; print `export SLURM_CONF=...`. Idempotent.
#   scripts/slurm-local.sh stop     stop the daemons this script started (by the pids in their pid files)
#   scripts/slurm-local.sh status   exit 0 when the controller answers and the node is up
#   scripts/slurm-local.sh env      print `export SLURM_CONF=...`
#
# State, spool, logs and pid files live in $VTX_SLURM_DIR (default: vtx-slurm in $TMPDIR, else in /tmp); the config
# is $VTX_SLURM_DIR/slurm.conf, and `env` prints where it is. Unusual ports (16817/16818) so a real Slurm on the machine is not disturbed.
# Accounting is off: follow jobs with squeue / scontrol, not sacct.
set -euo pipefail

DIR="${VTX_SLURM_DIR:-${TMPDIR:-/tmp}/vtx-slurm}"
CONF="$DIR/slurm.conf"
APT_PACKAGES=(slurm-wlm munge)

log() { echo "slurm-local: $*" >&2; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    log "must run as root (it starts munged and slurmd)"
    exit 1
  fi
}

install() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi
  [ -f /etc/munge/munge.key ] || {
    mungekey --create 2>/dev/null || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  }
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  su -s /bin/sh munge -c /usr/sbin/munged
  for _ in $(seq 50); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return
    sleep 0.1
  done
  log "munged did not come up"
  exit 1
}

write_conf() {
  local host cpus mem
  host="$(hostname -s)"
  cpus="$(nproc)"
  # free memory minus 2 GiB headroom, at least 1 GiB
  mem=$(awk '/MemAvailable/ { m = int($2 / 1024) - 2048; print (m < 1024 ? 1024 : m) }' /proc/meminfo)
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log"
  cat >"$CONF.tmp" <<EOF
# Written by scripts/slurm-local.sh: one node, one partition, no accounting.
ClusterName=vtx-local
SlurmctldHost=$host
SlurmUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MaxArraySize=10001
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=10
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$CONF.tmp" "$CONF"
}

node_up() {
  SLURM_CONF="$CONF" sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'
}

start() {
  need_root
  install
  start_munge
  [ -f "$CONF" ] || write_conf
  export SLURM_CONF="$CONF"
  alive "$DIR/slurmctld.pid" || slurmctld -f "$CONF"
  alive "$DIR/slurmd.pid" || slurmd -f "$CONF"
  for _ in $(seq 60); do
    if node_up; then
      log "up: $(sinfo -h -o '%P %D %t %c cpus')"
      echo "export SLURM_CONF=$CONF"
      return
    fi
    # a node left down/drained by an earlier session: bring it back
    scontrol update nodename="$(hostname -s)" state=resume >/dev/null 2>&1 || true
    sleep 0.5
  done
  log "the node did not become idle; see $DIR/log/"
  exit 1
}

stop() {
  for d in slurmd slurmctld; do
    if alive "$DIR/$d.pid"; then
      kill "$(cat "$DIR/$d.pid")"
      log "stopped $d"
    fi
  done
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) SLURM_CONF="$CONF" scontrol ping >/dev/null 2>&1 && node_up ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac
