#!/usr/bin/env bash
# Selects (or creates) the stack `npm run up` uses, on its backend and with its passphrase, and
# prints the lines that give plain `pulumi` commands in your shell the same settings:
#   eval "$(npm run --silent stack)"      then: pulumi config set ..., pulumi stack output, ...
# STACK selects another stack than dev. A passphrase you exported yourself is never printed.
set -euo pipefail
cd "${0%/*}/.."
source scripts/pulumi-env.sh
ensure_stack
printf 'export PULUMI_BACKEND_URL=%q\n' "$PULUMI_BACKEND_URL"
if [[ -n "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
    printf 'export PULUMI_CONFIG_PASSPHRASE_FILE=%q\n' "$PULUMI_CONFIG_PASSPHRASE_FILE"
fi
echo "stack $STACK selected on $PULUMI_BACKEND_URL" >&2
