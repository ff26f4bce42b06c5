#!/usr/bin/env bash
# The SDK as a user outside the repository gets it (README, "Packages"): in a temporary folder outside the checkout,
# with the freshly packed packages as the only package source, it
#   1. installs the templates and the `pipeline` tool,
#   2. creates a solver from pipeline-solver, builds it and runs it through the tool (--plugins), timing the path
#      from `dotnet new` to that first run, then runs the template's tests (the solver against the exact mixture ODE),
#   3. creates a console app that references Pipeline.Host, and runs a definition with the built-in plugins in it,
#      with progress and cancellation, reading the samples (its own and the tool's) back and checking them against
#      the mixture (scripts/sdk-check/Embed.cs).
# Package sources: nuget.config clears every source and adds only the package folder; third-party packages (TorchSharp,
# xunit, ...) come from the machine's global packages folder, named as a read-only fallback folder, so the check runs
# offline once the repository's own restore has run. The packages get a version of their own (0.1.0-check.<time>)
# so that nothing cached from an earlier build can stand in for them, and NUGET_PACKAGES and the template hive are
# private to the temporary folder.
# Prints one "ok"/"FAILED" line per check and "sdk-check: N passed, N failed (S s)"; exits 1 when a check failed.
# Usage: scripts/sdk-check.sh [--keep]
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
start=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/pipeline-sdk-check.XXXXXX")
[ "${1:-}" = "--keep" ] || trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
global=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')
version="0.1.0-check.$(date +%Y%m%d%H%M%S)"
packages="$work/packages"
passed=0 failed=0
check() { # check <name> <command...>: runs the command, its output into the log
  local name=$1; shift
  if "$@" >"$work/last.log" 2>&1; then echo "ok: $name"; passed=$((passed + 1)); return 0; fi
  echo "FAILED: $name"; tail -n 30 "$work/last.log" | sed 's/^/    /'; failed=$((failed + 1)); return 1
}
finish() {
  echo "sdk-check: $passed passed, $failed failed ($(( $(date +%s) - start )) s)"
  [ "$failed" -eq 0 ]; exit $?
}

check "pack every package (version $version)" env PIPELINE_VERSION="$version" "$repo/scripts/pack.sh" "$packages" || finish

export NUGET_PACKAGES="$work/nuget-packages"
cat > "$work/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="pipeline-local" value="$packages" />
  </packageSources>
  <fallbackPackageFolders>
    <add key="machine-global-packages" value="$global" />
  </fallbackPackageFolders>
</configuration>
CONFIG
cd "$work"
hive="$work/template-hive"
tools="$work/tools"

check "dotnet new install Pipeline.Templates" dotnet new install "$packages/Pipeline.Templates.$version.nupkg" --debug:custom-hive "$hive" || finish
check "dotnet tool install Pipeline.Cli" dotnet tool install --tool-path "$tools" --add-source "$packages" --version "$version" Pipeline.Cli || finish
check "the tool runs: pipeline --version" "$tools/pipeline" --version

# The mixture of examples/gmm-ddim.json, sampled with the new solver.
sed -e 's/"type": "ddim", "eta": 0.0/"type": "checksolver"/' -e 's#"directory": "[^"]*"#"directory": "out/tool-run"#' \
  "$repo/examples/gmm-ddim.json" > "$work/with-solver.json"
new_start=$(date +%s%N)
check "dotnet new pipeline-solver -n CheckSolver" dotnet new pipeline-solver -n CheckSolver -o "$work/CheckSolver" --debug:custom-hive "$hive" || finish
check "the solver builds standalone" dotnet build "$work/CheckSolver/CheckSolver" -nologo -v:q
check "pipeline run with the new solver (--plugins)" "$tools/pipeline" run "$work/with-solver.json" --quiet --plugins "$work/CheckSolver/CheckSolver/bin/Debug/net10.0"
tenths=$(( ($(date +%s%N) - new_start) / 100000000 ))
echo "time from dotnet new pipeline-solver to its first run through the tool: $((tenths / 10)).$((tenths % 10)) s"
check "the template's tests pass (the solver against the exact mixture ODE)" dotnet test "$work/CheckSolver/CheckSolver.Tests" -nologo -v:q

# The other two templates build standalone and run through the tool together.
check "dotnet new pipeline-guidance and pipeline-model" sh -c "dotnet new pipeline-guidance -n CheckGuidance -o '$work/CheckGuidance' --debug:custom-hive '$hive' && dotnet new pipeline-model -n CheckModel -o '$work/CheckModel' --debug:custom-hive '$hive'"
check "the guidance and model plugins build standalone" sh -c "dotnet build '$work/CheckGuidance' -nologo -v:q && dotnet build '$work/CheckModel' -nologo -v:q"
cat > "$work/model-guidance.json" <<JSON
{ "model": { "type": "checkmodel", "dimensions": 2, "mean": 1.0, "std": 0.5 },
  "noiseSchedule": { "type": "discrete" }, "timeSteps": { "type": "logsnr-uniform", "steps": 10 },
  "solver": { "type": "ddim" }, "guidance": [{ "type": "checkguidance", "strength": 0.1 }],
  "sampling": { "count": 100, "seed": 0 }, "outputs": { "directory": "out/model-guidance" } }
JSON
check "pipeline run with the new model and guidance" "$tools/pipeline" run "$work/model-guidance.json" --quiet \
  --plugins "$work/CheckGuidance/bin/Debug/net10.0" --plugins "$work/CheckModel/bin/Debug/net10.0"

# Embedding: a plain console app with one package reference.
check "dotnet new console" dotnet new console -n Embed -o "$work/Embed" --debug:custom-hive "$hive"
cp "$repo/scripts/sdk-check/Embed.cs" "$work/Embed/Program.cs"
check "dotnet add package Pipeline.Host" dotnet add "$work/Embed" package Pipeline.Host --version "$version"
sed -e 's#"directory": "[^"]*"#"directory": "out/unused"#' "$repo/examples/gmm-ddim.json" > "$work/embedded.json"
check "the console app builds" dotnet build "$work/Embed" -nologo -v:q
if dotnet run --project "$work/Embed" --no-build -- "$work/embedded.json" "$work/out/embedded" "$work/out/tool-run/samples.npy" > "$work/embed.log" 2>&1; then
  embed_status=0; else embed_status=$?; fi
grep -E '^(ok|FAILED): ' "$work/embed.log" | sed 's/^/embed /'
passed=$((passed + $(grep -c '^ok: ' "$work/embed.log")))
failed=$((failed + $(grep -c '^FAILED: ' "$work/embed.log")))
if [ "$embed_status" -ne 0 ] && ! grep -q '^FAILED: ' "$work/embed.log"; then
  echo "FAILED: the console app ran (exit $embed_status)"; tail -n 30 "$work/embed.log" | sed 's/^/    /'; failed=$((failed + 1))
fi
finish
