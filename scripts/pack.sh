#!/usr/bin/env bash
# Packs every package into one folder (default artifacts/packages): Pipeline.Abstractions, Pipeline.SolverKit,
# Pipeline.Common, Pipeline.Host (with the
# built-in plugins and its buildTransitive targets), Pipeline.Cli (the `pipeline` .NET tool: one package per platform
# plus the package that points at them) and Pipeline.Templates. All take Version from Directory.Build.props.
# Usage: scripts/pack.sh [output folder]
# PIPELINE_TOOL_RIDS: the platforms of the tool packages (default: this machine's, e.g. linux-x64; the project's
# own default, used by a plain `dotnet pack src/Cli`, is linux-x64;win-x64;osx-arm64).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-artifacts/packages}")
mkdir -p "$out"
rid=${PIPELINE_TOOL_RIDS:-$(dotnet --info | awk '/^ *RID:/ {print $2; exit}')}
# PIPELINE_VERSION: the version of every package (default: Version in Directory.Build.props).
version=()
[ -n "${PIPELINE_VERSION:-}" ] && version=(-p:Version="$PIPELINE_VERSION")
pack() { dotnet pack "$@" -c Release -o "$out" -nologo -v:q -p:PackageOutputPath="$out" "${version[@]}"; }
pack src/Abstractions/Abstractions.csproj
pack src/SolverKit/SolverKit.csproj
pack src/Common/Common.csproj
pack src/Host/Host.csproj
pack src/Cli/Cli.csproj -p:ToolPackageRuntimeIdentifiers="$rid"
pack templates/Templates.csproj
ls -1 "$out"
