#!/usr/bin/env bash
# One command to a working mesh: installs dependencies, selects (or creates) the stack, pulumi up.
# Extra arguments go to `pulumi up`. STACK selects another stack than dev.
set -euo pipefail
cd "${0%/*}/.."
# Say what is missing before spending time on npm ci. kind and docker only make kind clusters.
missing=()
command -v pulumi >/dev/null 2>&1 || missing+=("the Pulumi CLI: https://www.pulumi.com/docs/iac/download-install/")
stack_file="Pulumi.${STACK:-dev}.yaml"
if ! [[ -f "$stack_file" && "$(<"$stack_file")" =~ istio-multicluster:provisioner:\ *\"?existing ]]; then
    command -v kind >/dev/null 2>&1 || missing+=("kind v0.33.0 or newer: https://kind.sigs.k8s.io/docs/user/quick-start/#installation")
    command -v docker >/dev/null 2>&1 || missing+=("docker, with a running Docker Engine: https://docs.docker.com/engine/install/")
fi
if ((${#missing[@]} > 0)); then
    echo "npm run up needs:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 1
fi
node scripts/ensure-deps.mjs
# `pulumi up --config` writes into the stack file before the program can refuse a value.
node --import tsx scripts/check-config.ts "${STACK:-dev}" "$@"
source scripts/pulumi-env.sh
ensure_stack
pulumi up --yes --stack "$STACK" "$@"
# A stack last updated by an earlier release moves in two updates: the first hands endpoint
# discovery's per-pair objects to one command, the second forgets their resources (README, "A stack
# made by an earlier release"). Only the first leaves the output legacyDiscoveryPairs.
if pulumi stack output legacyDiscoveryPairs --stack "$STACK" >/dev/null 2>&1; then
    echo "Forgetting the per-pair resources of an earlier release (nothing in the clusters changes):"
    pulumi up --yes --stack "$STACK" "$@"
fi
echo
echo "Mesh is up. Check it with: npm run verify"
