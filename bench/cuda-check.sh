#!/usr/bin/env bash
# CUDA check on a machine with PyTorch (CUDA) and no .NET. Expects, prepared by bench/cuda-prepare.sh:
#   .device/dotnet-runtime.tar.xz  the .NET runtime (dotnet, host/, shared/Microsoft.NETCore.App)
#   .device/app/                   `dotnet publish src/Cli -p:ExternalLibTorch=true` (no libtorch inside)
# Runs the example on CUDA and on the CPU (both through PyTorch's libtorch), compares the samples,
# benchmarks per-step time, and checks the error for a missing CUDA device. Results go to $OUT.
set -u
out=${OUT:-/tmp/cuda-check}
mkdir -p "$out" /tmp/dotnet /tmp/defs
tar -xJf .device/dotnet-runtime.tar.xz -C /tmp/dotnet
export DOTNET_ROOT=/tmp/dotnet PATH=/tmp/dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1
export PIPELINE_LIBTORCH=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')/lib
export LD_LIBRARY_PATH=$PIPELINE_LIBTORCH:${LD_LIBRARY_PATH:-}
app=.device/app/Pipeline.Cli.dll
log=$out/cuda-check.log
exec > >(tee "$log") 2>&1

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c 'import torch; print("pytorch", torch.__version__, "cuda", torch.version.cuda)'
dotnet $app --version

python3 - <<'PY'
import json
base = json.load(open("examples/gmm-ddim.json"))
def variant(name, device, solver, steps, count, batch):
    d = json.loads(json.dumps(base))
    d["name"] = name
    d["solver"] = solver
    d["timeSteps"]["steps"] = steps
    d["sampling"].update({"device": device, "count": count, "batchSize": batch, "seed": 0, "dtype": "float64"})
    d["outputs"] = {"directory": "/tmp/runs/" + name}
    json.dump(d, open(f"/tmp/defs/{name}.json", "w"), indent=1)
for dev in ["cuda", "cpu"]:
    variant(f"ddim-{dev}", dev, {"type": "ddim"}, 20, 4096, 4096)
    variant(f"ddpm-{dev}", dev, {"type": "ddpm"}, 50, 4096, 1024)
    variant(f"heun-{dev}", dev, {"type": "pf-ode", "method": "heun"}, 10, 4096, 4096)
    variant(f"bench10-{dev}", dev, {"type": "ddim"}, 10, 65536, 65536)
    variant(f"bench50-{dev}", dev, {"type": "ddim"}, 50, 65536, 65536)
variant("missing-device", "cuda:7", {"type": "ddim"}, 10, 4, 4)
PY

for n in ddim ddpm heun; do
  for dev in cuda cpu; do
    dotnet $app run /tmp/defs/$n-$dev.json --quiet --overwrite || echo "RUN FAILED: $n-$dev"
  done
done
python3 - <<'PY'
import numpy as np, json
for n in ["ddim", "ddpm", "heun"]:
    a = np.load(f"/tmp/runs/{n}-cuda/samples.npy"); b = np.load(f"/tmp/runs/{n}-cpu/samples.npy")
    r = json.load(open(f"/tmp/runs/{n}-cuda/report.json"))
    print(f"{n}: cuda vs cpu max|diff| = {np.abs(a - b).max():.3e}  (shape {a.shape}, nfe {r['nfe']}, device {r['device']}, sampling {r['timings']['samplingSeconds']:.3f}s)")
PY
for dev in cuda cpu; do
  dotnet $app bench /tmp/defs/bench10-$dev.json --repeat 5
  dotnet $app bench /tmp/defs/bench50-$dev.json --repeat 3
done
dotnet $app run /tmp/defs/missing-device.json --quiet; echo "exit code for cuda:7: $?"
cp /tmp/runs/ddim-cuda/report.json "$out/report-ddim-cuda.json" 2>/dev/null
