#!/usr/bin/env bash
# CPU side by side: this project's `run` against plain PyTorch loops (bench/cpu/reference.py) on Debian's PyTorch, on
# the same TorchScript network (bench/cpu/make_convnet.py), the same x_T and the same times, with the same thread count.
# Prints, per solver, the wall time of each side, the share inside the network, the ratio, and the samples' relative
# RMS difference. The two sides run one after the other in the same invocation; run it on a quiet machine.
#   bench/cpu/compare.sh [THREADS (default 2)] [REPEATS (default 2)]
# Needs the built host (dotnet build) and /usr/bin/python3 with python3-torch and python3-numpy (apt).
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${1:-2}
repeats=${2:-2}
py=/usr/bin/python3
host=src/Cli/bin/Debug/net10.0/Pipeline.Cli.dll
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -f bench/cpu/convnet.pt ] || $py bench/cpu/make_convnet.py
$py -c "import numpy as np; np.save('$work/xt.npy', np.random.default_rng(0).standard_normal((64, 1, 28, 28)).astype(np.float32))"
for solver in ddim dpm2m; do
  case $solver in
    ddim)  spec='{ "type": "ddim", "eta": 0 }'; steps='{ "type": "time-uniform", "steps": 20 }' ;;
    dpm2m) spec='{ "type": "dpm-solver++", "order": 2, "method": "multistep" }'; steps='{ "type": "logsnr-uniform", "steps": 20 }' ;;
  esac
  cat > "$work/$solver.json" <<JSON
{
  "name": "convnet-$solver",
  "model": { "type": "torchscript", "path": "$PWD/bench/cpu/convnet.pt", "prediction": "epsilon", "timeInput": "discrete-index", "sampleShape": [1, 28, 28] },
  "noiseSchedule": { "type": "discrete", "betaSchedule": "linear" },
  "timeSteps": $steps,
  "solver": $spec,
  "sampling": { "count": 64, "batchSize": 64, "initialNoise": "$work/xt.npy", "initialNoiseKind": "xt", "device": "cpu", "dtype": "float32" },
  "outputs": { "grid": false }
}
JSON
  for r in $(seq 1 "$repeats"); do
    OMP_NUM_THREADS=$threads dotnet "$host" run "$work/$solver.json" --output "$work/run-$solver" --overwrite --quiet >/dev/null
    $py -c "import json; r = json.load(open('$work/run-$solver/report.json')); json.dump(r['times'], open('$work/times.json', 'w')); t = r['timings']; print(json.dumps({'seconds': t['samplingSeconds'], 'modelSeconds': t['modelSeconds']}))" > "$work/pipeline.json"
    $py bench/cpu/reference.py bench/cpu/convnet.pt "$work/xt.npy" "$work/times.json" "$solver" "$threads" "$work/ref.npy" > "$work/reference.json"
    $py - "$work" "$solver" "$threads" <<'PY'
import json, sys
import numpy as np
work, solver, threads = sys.argv[1:4]
p = json.load(open(f"{work}/pipeline.json")); r = json.load(open(f"{work}/reference.json"))
a = np.load(f"{work}/run-{solver}/samples.npy").astype(np.float64); b = np.load(f"{work}/ref.npy").astype(np.float64)
rel = np.sqrt(((a - b) ** 2).mean() / (b ** 2).mean())
print(f"{solver} threads {threads}: pipeline {p['seconds']:.2f} s (model {p['modelSeconds'] / p['seconds']:.1%}), "
      f"reference {r['seconds']:.2f} s (model {r['modelSeconds'] / r['seconds']:.1%}), ratio {p['seconds'] / r['seconds']:.2f}, relative RMS difference {rel:.1e}")
PY
  done
done
