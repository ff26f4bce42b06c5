#!/usr/bin/env bash
# Stress mode for native-memory races (docs/development.md): runs the solver tests and the host's training and AMED
# tests N times (default 5) while a background thread in each test process forces collections and finalizers
# (PIPELINE_GC_STRESS=1, tests/Shared/GcStress.cs) and gen0 is kept small, so a native Scalar or tensor freed while
# libtorch reads it shows up as a failure. Prints one line per run and "stress: N runs, N failed runs, N failed tests";
# exits 1 if any test failed.
#   scripts/stress.sh [loops] [--solvers-filter F] [--host-filter F]
set -uo pipefail
cd "$(dirname "$0")/.."
loops=${1:-5}; shift || true
solvers_filter=""
host_filter="FullyQualifiedName~TrainTests|FullyQualifiedName~OptimizerPluginTests|FullyQualifiedName~PerSampleTimesTests"
while [ $# -gt 0 ]; do
  case "$1" in
    --solvers-filter) solvers_filter=$2; shift 2 ;;
    --host-filter) host_filter=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

export PIPELINE_GC_STRESS=1
# A 1 MiB gen0 budget (hexadecimal) makes the runtime collect every few allocations besides the forced collections.
export DOTNET_GCgen0size=0x100000

dotnet build tests/Solvers.Tests -v q -clp:ErrorsOnly >/dev/null || { echo "build failed" >&2; exit 1; }
dotnet build tests/Host.Tests -v q -clp:ErrorsOnly >/dev/null || { echo "build failed" >&2; exit 1; }

failed_runs=0; failed_tests=0; passed_tests=0
log=$(mktemp)
for i in $(seq 1 "$loops"); do
  run_failed=0
  for spec in "tests/Solvers.Tests|$solvers_filter" "tests/Host.Tests|$host_filter"; do
    project=${spec%%|*}; filter=${spec#*|}
    args=(test "$project" --no-build)
    [ -n "$filter" ] && args+=(--filter "$filter")
    dotnet "${args[@]}" >"$log" 2>&1
    rc=$?
    p=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
    f=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
    # A crashed test host reports no count: count it as one failure.
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed_tests=$((passed_tests + p)); failed_tests=$((failed_tests + f))
    if [ "$f" -gt 0 ]; then
      run_failed=1
      echo "run $i $project: $f failed" 
      grep -E '^\s+Failed ' "$log" | sed 's/^/    /' | head -20
      grep -m3 -E 'Expected false to be true|NaN|Fatal|crash' "$log" | sed 's/^/    /'
    else
      echo "run $i $project: $p passed"
    fi
  done
  failed_runs=$((failed_runs + run_failed))
done
rm -f "$log"
echo "stress: $loops runs, $failed_runs failed runs, $failed_tests failed tests, $passed_tests passed tests"
[ "$failed_tests" -eq 0 ]
