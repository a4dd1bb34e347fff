# Sourced by up.sh and down.sh: the local state backend and a passphrase without prompts.
# State lives in ~/.pulumi-istio-multicluster (Pulumi.yaml); PULUMI_BACKEND_URL overrides it.
# Secrets in state are encrypted with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE
# when you set one; otherwise with a random passphrase generated once into
# ~/.config/istio-multicluster/passphrase (mode 600).
if ! command -v pulumi >/dev/null 2>&1; then
    echo "The Pulumi CLI is not installed: https://www.pulumi.com/docs/iac/download-install/" >&2
    exit 1
fi
if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    passphrase_file="${XDG_CONFIG_HOME:-$HOME/.config}/istio-multicluster/passphrase"
    if [ ! -s "$passphrase_file" ]; then
        mkdir -p "$(dirname "$passphrase_file")"
        (umask 077 && head -c 32 /dev/urandom | base64 >"$passphrase_file")
        echo "Generated a passphrase for the stack's secrets in $passphrase_file" >&2
    fi
    export PULUMI_CONFIG_PASSPHRASE_FILE="$passphrase_file"
fi
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
    # The same place as Pulumi.yaml's backend.url, spelled out (no reliance on "~" expansion).
    mkdir -p "$HOME/.pulumi-istio-multicluster"
    export PULUMI_BACKEND_URL="file://$HOME/.pulumi-istio-multicluster"
fi
STACK=${STACK:-dev}

# The Kubernetes provider writes each cluster's kubeconfig (admin credentials) to a new file in
# TMPDIR whenever it starts, and leaves it there: pulumi runs with a private folder, removed after.
private_tmp="$(mktemp -d)"
trap 'rm -rf "$private_tmp"' EXIT
export TMPDIR="$private_tmp"

# Selects $STACK, or creates it on this backend with this passphrase.
ensure_stack() {
    pulumi stack select "$STACK" >/dev/null 2>&1 || pulumi stack init "$STACK" >&2
}
