#!/usr/bin/env bash
# Submits a small sharded run (4 shards and the merge) to a single-node Slurm on this machine and checks that the merged
# folder holds the files one run writes: samples.npy and definition.resolved.json byte for byte, report.json's counts.
#   scripts/slurm/check-local.sh          (.ci/run runs it after the tests)
# Skipped, with the reason and exit code 0, where Slurm cannot start (no root, slurm-wlm not installed).
# PIPELINE is the command line to test (default: the built src/Cli, built here if missing).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
state=${PIPELINE_SLURM_STATE:-/tmp/pipeline-slurm}
fail() { echo "slurm check: FAILED: $*" >&2; exit 1; }

started_here=0
if ! SLURM_CONF=$state/slurm.conf sinfo >/dev/null 2>&1; then
  if ! out=$("$repo/scripts/slurm/start-local-slurm.sh" "$state" 2>&1); then
    echo "slurm check: skipped: ${out##*cannot start: }"
    exit 0
  fi
  started_here=1
fi
export SLURM_CONF=$state/slurm.conf
cleanup() { [ "$started_here" -eq 1 ] && "$repo/scripts/slurm/stop-local-slurm.sh" "$state"; }
trap cleanup EXIT

if [ -z "${PIPELINE:-}" ]; then
  dll=$(ls -t "$repo"/src/Cli/bin/{Release,Debug}/net10.0/Pipeline.Cli.dll 2>/dev/null | head -n 1)
  if [ -z "$dll" ]; then
    dotnet build "$repo/src/Cli" -v quiet -nologo >/dev/null || fail "the host does not build"
    dll=$repo/src/Cli/bin/Debug/net10.0/Pipeline.Cli.dll
  fi
  export PIPELINE="dotnet $dll"
fi

work=$(mktemp -d /tmp/pipeline-slurm-check.XXXXXX)
cat > "$work/mix.json" <<'JSON'
{
  "name": "mix",
  "model": { "type": "gmm", "weights": [0.3, 0.7], "means": [[-1.0, 0.5], [1.5, -0.5]], "stds": [[0.3], [0.5]] },
  "noiseSchedule": { "type": "discrete" },
  "timeSteps": { "type": "time-uniform", "steps": 10 },
  "solver": { "type": "ddpm" },
  "metrics": [ { "type": "gmm-distance" } ],
  "sampling": { "count": 64, "batchSize": 8, "seed": 5, "device": "cpu" }
}
JSON
ids=$("$repo/scripts/slurm/submit.sh" "$work/mix.json" "$work/runs/mix" 4 statistics --chdir="$work") || fail "sbatch refused the jobs"
echo "slurm check: $ids"
array=$(echo "$ids" | sed -E 's/^shards: job ([0-9]+).*/\1/')
merge=$(echo "$ids" | sed -E 's/.*merge: job ([0-9]+)$/\1/')
for _ in $(seq 1 300); do
  [ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] && break
  sleep 1
done
[ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] || fail "the jobs did not finish within 300 s (squeue: $(squeue -h -j "$array,$merge"))"
[ -f "$work/runs/mix/samples.npy" ] || fail "no merged folder; job logs: $(cat "$work"/pipeline-*.out 2>/dev/null | tail -n 20)"

$PIPELINE run "$work/mix.json" --output "$work/single" --quiet >/dev/null || fail "the single run failed"
for file in samples.npy definition.resolved.json; do
  cmp -s "$work/single/$file" "$work/runs/mix/$file" || fail "$file of the merge differs from the single run's"
done
grep -q '"count": 64' "$work/runs/mix/report.json" && grep -q '"batches": 8' "$work/runs/mix/report.json" \
  || fail "the merged report.json does not count 64 samples in 8 batches"
grep -q '"gmm-distance": "shard statistics"' "$work/runs/mix/report.json" || fail "the merged report.json has no metrics from shard statistics"
echo "slurm check: passed (4 shards as a job array, merge after them; samples.npy and definition.resolved.json equal to one run's)"
rm -rf "$work"
