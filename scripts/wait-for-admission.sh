#!/usr/bin/env bash
# Waits until the API server admits $MANIFEST (server-side dry run), e.g. until MetalLB's
# validating webhook is serving: objects applied before that are rejected.
#
# Environment: MANIFEST (YAML), TIMEOUT_SECONDS (default 300), and either KUBECONFIG_DATA
# (kubeconfig text, written to a private temp file) or KUBE_CONTEXT [+ KUBECONFIG].
set -euo pipefail

: "${MANIFEST:?MANIFEST is required}"
timeout=${TIMEOUT_SECONDS:-300}
workdir=$(mktemp -d)
chmod 700 "$workdir"
trap 'rm -rf "$workdir"' EXIT

args=()
if [ -n "${KUBECONFIG_DATA:-}" ]; then
    printf '%s\n' "$KUBECONFIG_DATA" >"$workdir/kubeconfig"
    args+=(--kubeconfig "$workdir/kubeconfig")
elif [ -n "${KUBE_CONTEXT:-}" ]; then
    args+=(--context "$KUBE_CONTEXT")
fi
printf '%s\n' "$MANIFEST" >"$workdir/manifest.yaml"

deadline=$((SECONDS + timeout))
until kubectl "${args[@]}" apply --dry-run=server -f "$workdir/manifest.yaml" >/dev/null 2>"$workdir/error"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "not admitted after ${timeout}s: $(tail -n 1 "$workdir/error")" >&2
        exit 1
    fi
    sleep 2
done
echo "admitted"
