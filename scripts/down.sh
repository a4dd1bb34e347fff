#!/usr/bin/env bash
# Destroys the stack: clusters, kube contexts and everything in them. Extra arguments go to pulumi destroy.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/ensure-deps.mjs
source scripts/pulumi-env.sh
pulumi destroy --yes --stack "$STACK" "$@"
