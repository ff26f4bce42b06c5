#!/usr/bin/env bash
# Held-out check of AutoDiffusion's structure search on MNIST (docs/optimizers.md, "Structure search"): runs the
# standard DDIM grids, the searched steps and the searched steps + structure at a budget of 4 full evaluations on
# 256 samples of seed 1 (the searches used seed 2), one after the other on the same machine, and prints the Frechet
# distance and the sampling wall time of each run.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${CLI:-src/Cli/bin/Debug/net10.0/Pipeline.Cli}
printf '%-20s %10s %10s %8s\n' run frechet samplingS steps
for k in time-uniform logsnr-uniform time-quadratic searched searched-structure; do
  "$cli" run "examples/mnist-structure-heldout-$k.json" --overwrite > /dev/null
  python3 - "$k" <<'PY'
import json, sys
k = sys.argv[1]
r = json.load(open(f"runs/structure-heldout/{k}/report.json"))
print(f"{k:<20} {r['metrics']['mnist-fid']['frechet-distance']:10.2f} {r['timings']['samplingSeconds']:10.1f} {r['steps']:8d}")
PY
done
