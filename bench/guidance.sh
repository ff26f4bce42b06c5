#!/usr/bin/env bash
# Per-step cost of guidance against unguided conditional sampling, all measured in one go on one machine:
# bench/guidance-{none,cfg,classifier,cfg-threshold}.json (a 64-value, 10-component conditional mixture, DDIM 20 steps,
# 4096 samples in one batch). Usage: bench/guidance.sh [pipeline command...] (default: dotnet run --project src/Cli -c Release --)
# DEVICE=cpu|cuda overrides the definitions' "auto"; COUNT=N runs N samples in one batch instead of 4096; REPEAT=N runs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then cmd=("$@"); else cmd=(dotnet run --project src/Cli -c Release --); fi
tmp=$(mktemp -d)
declare -A total model
for name in none cfg classifier cfg-threshold; do
  def=bench/guidance-$name.json
  sed -e "s/\"device\": \"auto\"/\"device\": \"${DEVICE:-auto}\"/" \
      -e "s/\"count\": 4096, \"batchSize\": 4096/\"count\": ${COUNT:-4096}, \"batchSize\": ${COUNT:-4096}/" "$def" > "$tmp/$name.json"
  def=$tmp/$name.json
  out=$("${cmd[@]}" bench "$def" --repeat "${REPEAT:-5}")
  echo "$out"
  total[$name]=$(sed -n 's/.*per step: \([0-9.]*\) ms total, \([0-9.]*\) ms model.*/\1/p' <<<"$out")
  model[$name]=$(sed -n 's/.*per step: \([0-9.]*\) ms total, \([0-9.]*\) ms model.*/\2/p' <<<"$out")
done
echo
echo "per-step time relative to unguided (total; 'model' includes the guidance's own work inside the evaluation):"
for name in cfg classifier cfg-threshold; do
  awk -v n="$name" -v t="${total[$name]}" -v b="${total[none]}" 'BEGIN { printf "  %-14s %.3f ms / %.3f ms = %.2fx\n", n, t, b, t / b }'
done
rm -rf "$tmp"
