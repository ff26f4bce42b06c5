#!/usr/bin/env bash
# Stops the single-node Slurm of scripts/slurm/start-local-slurm.sh [STATE_DIR], by the process ids it recorded.
set -uo pipefail
state=${1:-/tmp/pipeline-slurm}
for pidfile in "$state/slurmd.pid" "$state/slurmctld.pid" "$state/munge/munged.pid"; do
  if [ -f "$pidfile" ]; then
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null && for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    rm -f "$pidfile"
  fi
done
