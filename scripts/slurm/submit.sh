#!/usr/bin/env bash
# Queues a sharded run on Slurm: a job array of N shards and a merge that starts when all of them succeeded.
#   scripts/slurm/submit.sh DEFINITION OUTPUT N [samples|statistics] [extra sbatch options...]
# OUTPUT must be on storage every node sees. Prints the array job id and the merge job id.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
definition=$(realpath "${1:?DEFINITION}")
output=$(realpath -m "${2:?OUTPUT}")
shards=${3:?N}
metrics=${4:-samples}
shift $(($# < 4 ? $# : 4))
array=$(sbatch --parsable --array=0-$((shards - 1)) --export=ALL,SHARDS="$shards" "$@" "$here/shard.sbatch" "$definition" "$output")
merge=$(sbatch --parsable --dependency=afterok:"${array%%;*}" --kill-on-invalid-dep=yes "$@" "$here/merge.sbatch" "$output" "$shards" "$metrics")
echo "shards: job ${array%%;*} (array 0-$((shards - 1))); merge: job ${merge%%;*}"
