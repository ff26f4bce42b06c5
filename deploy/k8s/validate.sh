#!/usr/bin/env bash
# Validates the manifests of deploy/k8s without a cluster. 'kubectl apply --dry-run=client' (and 'kubectl create
# --dry-run=client -o yaml', with or without --validate=false) asks the API server for its resource list even in
# client mode, so without a cluster it only fails with "connection refused"; this script instead checks each document
# against the Kubernetes OpenAPI schemas of the npm package kubernetes-models (types, enums) and the types of kubernetes-types
# (unknown fields), and then
# runs kubectl's client dry-run where a cluster is reachable.
#   deploy/k8s/validate.sh [FILE.yaml...]     (default: every manifest of deploy/k8s)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
modules=${K8S_VALIDATE_CACHE:-$repo/.cache/k8s-validate}
files=("$@")
[ ${#files[@]} -gt 0 ] || files=("$here"/*.yaml)
if [ ! -d "$modules/node_modules/kubernetes-models" ]; then
  command -v npm >/dev/null 2>&1 || { echo "k8s validate: skipped: npm is missing"; exit 0; }
  mkdir -p "$modules"
  npm install --prefix "$modules" --no-audit --no-fund --loglevel=error kubernetes-models@5.1.0 kubernetes-types@1.30.0 typescript@5 js-yaml@4.1.0 >/dev/null \
    || { echo "k8s validate: skipped: npm could not install kubernetes-models"; exit 0; }
fi
K8S_VALIDATE_MODULES=$modules/node_modules node "$here/validate.mjs" "${files[@]}" || exit 1
# kubectl itself, offline: 'label --local' reads every document with kubectl's own decoder without a server (YAML
# syntax and object framing only; the schema check above is what catches wrong fields and types).
if command -v kubectl >/dev/null 2>&1; then
  for f in "${files[@]}"; do kubectl label --local --dry-run=client -o name -f "$f" pipeline-validate=yes >/dev/null || exit 1; done
  echo "k8s validate: kubectl (client $(kubectl version --client 2>/dev/null | awk '/Client Version/ {print $3}')) reads every document offline"
fi
if command -v kubectl >/dev/null 2>&1 && kubectl version --request-timeout=5s >/dev/null 2>&1; then
  for f in "${files[@]}"; do kubectl apply --dry-run=client -f "$f" || exit 1; done
else
  echo "k8s validate: no cluster reachable, so kubectl's client dry-run was not run"
fi
