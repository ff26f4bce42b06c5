#!/usr/bin/env bash
# Prepares .device/ (ignored by git) for bench/cuda-check.sh: a framework-dependent build of the host
# without libtorch, and the .NET runtime as a tarball. Run from the repository root.
set -euo pipefail
rm -rf .device/app
dotnet publish src/Cli -c Release -p:ExternalLibTorch=true -o .device/app -nologo -v:q
# Only linux-x64 natives are needed on the GPU machine.
find .device/app/runtimes -mindepth 1 -maxdepth 1 ! -name 'linux-x64' -exec rm -rf {} +
if [ ! -f .device/dotnet-runtime.tar.xz ]; then
  root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  (cd "$root" && tar -cJf "$OLDPWD/.device/dotnet-runtime.tar.xz" dotnet host shared/Microsoft.NETCore.App)
fi
du -sh .device/*
