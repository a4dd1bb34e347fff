#!/usr/bin/env bash
# Stacks made by the previous release keep `bash scripts/kind-cluster.sh delete` as the kind
# cluster's delete command in their state, and `pulumi destroy` runs what the state says: this
# keeps that line working. Everything is in scripts/kind-cluster.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx scripts/kind-cluster.ts "$@"
