#!/usr/bin/env bash
# One command to a working mesh: installs dependencies, selects (or creates) the stack, pulumi up.
# Extra arguments go to `pulumi up`. STACK selects another stack than dev.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/ensure-deps.mjs
source scripts/pulumi-env.sh
pulumi stack select "$STACK" 2>/dev/null || pulumi stack init "$STACK"
pulumi up --yes --stack "$STACK" "$@"
echo
echo "Mesh is up. Check it with: npm run verify"
