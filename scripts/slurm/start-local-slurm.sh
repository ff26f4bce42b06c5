#!/usr/bin/env bash
# Starts a single-node Slurm on this machine (Debian's slurm-wlm: munged, slurmctld, slurmd), with every file under
# one state folder and nothing written to /etc: the daemons and the clients read $SLURM_CONF.
#   scripts/slurm/start-local-slurm.sh [STATE_DIR]      (default /tmp/pipeline-slurm; needs root)
# Prints the line to eval for the clients: export SLURM_CONF=STATE_DIR/slurm.conf
# Exit codes: 0 started (or already running), 3 cannot start here (not root, slurm-wlm missing, a daemon failed),
# with the reason on stderr. scripts/slurm/stop-local-slurm.sh STATE_DIR stops it.
set -uo pipefail
state=${1:-/tmp/pipeline-slurm}
cannot() { echo "local slurm: cannot start: $*" >&2; exit 3; }

[ "$(id -u)" -eq 0 ] || cannot "needs root (the daemons run as root here)"
for tool in munged slurmctld slurmd sinfo sbatch; do
  command -v "$tool" >/dev/null 2>&1 || cannot "$tool is missing (apt-get install -y slurm-wlm)"
done
mkdir -p "$state"/{spool,ctld,log,munge}
chmod 700 "$state/munge"
conf="$state/slurm.conf"
host=$(hostname -s)
cpus=$(nproc)

if [ -f "$state/slurmctld.pid" ] && kill -0 "$(cat "$state/slurmctld.pid")" 2>/dev/null && SLURM_CONF=$conf sinfo >/dev/null 2>&1; then
  echo "export SLURM_CONF=$conf"
  exit 0
fi

# munge authenticates the daemons to each other; its own key and socket, so a system munged is never touched.
if [ ! -s "$state/munge/munge.key" ]; then
  dd if=/dev/urandom of="$state/munge/munge.key" bs=1 count=1024 status=none || cannot "could not write the munge key"
fi
chmod 400 "$state/munge/munge.key"
socket="$state/munge/munge.socket"
if ! [ -S "$socket" ] || ! [ -f "$state/munge/munged.pid" ] || ! kill -0 "$(cat "$state/munge/munged.pid")" 2>/dev/null; then
  munged --force --key-file="$state/munge/munge.key" --socket="$socket" --pid-file="$state/munge/munged.pid" \
    --log-file="$state/log/munged.log" --seed-file="$state/munge/munged.seed" || cannot "munged did not start (see $state/log/munged.log)"
fi

cat > "$conf" <<CONF
# Written by scripts/slurm/start-local-slurm.sh: one node, this machine, for trying the project's job scripts.
ClusterName=pipeline-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

export SLURM_CONF=$conf
slurmctld -f "$conf" || cannot "slurmctld did not start (see $state/log/slurmctld.log)"
slurmd -f "$conf" || cannot "slurmd did not start (see $state/log/slurmd.log)"
for _ in $(seq 1 30); do
  if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    echo "export SLURM_CONF=$conf"
    exit 0
  fi
  sleep 1
done
cannot "the node did not become idle within 30 s (sinfo: $(sinfo -h 2>&1 | head -n 1); see $state/log/)"
