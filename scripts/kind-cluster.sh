#!/usr/bin/env bash
# Lifecycle of one kind cluster for the KindCluster component (run by @pulumi/command).
#
#   kind-cluster.sh create      create the cluster, or adopt a healthy one left by an earlier run;
#                               put context $KUBE_CONTEXT into the user's kubeconfig; print
#                               {"apiServer": ..., "network": <docker IPAM config>} on stdout
#   kind-cluster.sh delete      delete the cluster (gone already is fine) and its kubeconfig entries
#   kind-cluster.sh kubeconfig  print the cluster's admin kubeconfig (a secret: callers hide it)
#
# Environment: KIND_CLUSTER_NAME (required), KUBE_CONTEXT (default: the cluster name),
# KIND_CONFIG (kind config YAML, for create), KUBECONFIG (the user's kubeconfig; first path wins).
set -euo pipefail

command=${1:?usage: kind-cluster.sh create|delete|kubeconfig}
name=${KIND_CLUSTER_NAME:?KIND_CLUSTER_NAME is required}
context=${KUBE_CONTEXT:-$name}
kind_name="kind-$name" # kind's own name for the context, cluster and user entries
node="$name-control-plane"

workdir=$(mktemp -d)
chmod 700 "$workdir"
trap 'rm -rf "$workdir"' EXIT

log() { echo "[$name] $*" >&2; }

user_kubeconfig() {
    local first=${KUBECONFIG:-$HOME/.kube/config}
    echo "${first%%:*}"
}

# (Output is captured before grep: with pipefail, grep -q closing the pipe early fails the test.)
has_line() { grep -qx -- "$1" <<<"$2"; }

cluster_exists() { has_line "$name" "$(kind get clusters 2>/dev/null)"; }

node_running() { [ "$(docker inspect --format '{{.State.Running}}' "$node" 2>/dev/null)" = "true" ]; }

# Clusters are created in parallel and all edit one kubeconfig file: take turns.
with_kubeconfig_lock() {
    local lock
    lock="$(user_kubeconfig).istio-multicluster.lock"
    mkdir -p "$(dirname "$lock")"
    local waited=0
    until mkdir "$lock" 2>/dev/null; do
        waited=$((waited + 1))
        if [ "$waited" -gt 1200 ]; then
            log "timed out waiting for $lock; if no other pulumi run is active, remove it"
            return 1
        fi
        sleep 0.1
    done
    local rc=0
    "$@" || rc=$?
    rmdir "$lock"
    return "$rc"
}

# Removes our context and kind's cluster/user entries for this cluster; leaves everything else.
remove_kubeconfig_entries() {
    local target
    target=$(user_kubeconfig)
    [ -f "$target" ] || return 0
    if has_line "$context" "$(kubectl --kubeconfig "$target" config get-contexts -o name)"; then
        if [ "$(kubectl --kubeconfig "$target" config current-context 2>/dev/null || true)" = "$context" ]; then
            kubectl --kubeconfig "$target" config unset current-context >/dev/null
        fi
        kubectl --kubeconfig "$target" config delete-context "$context" >/dev/null
    fi
    if has_line "$kind_name" "$(kubectl --kubeconfig "$target" config get-clusters)"; then
        kubectl --kubeconfig "$target" config delete-cluster "$kind_name" >/dev/null
    fi
    if has_line "$kind_name" "$(kubectl --kubeconfig "$target" config get-users)"; then
        kubectl --kubeconfig "$target" config delete-user "$kind_name" >/dev/null
    fi
}

# Puts context $context (renamed from kind's kind-<name>) into the user's kubeconfig.
merge_context() {
    local target
    target=$(user_kubeconfig)
    kind get kubeconfig --name "$name" >"$workdir/cluster.kubeconfig"
    kubectl --kubeconfig "$workdir/cluster.kubeconfig" config rename-context "$kind_name" "$context" >/dev/null
    remove_kubeconfig_entries # a stale entry would win the merge: the first file wins
    if [ -s "$target" ]; then
        KUBECONFIG="$target:$workdir/cluster.kubeconfig" kubectl config view --flatten >"$workdir/merged"
    else
        mkdir -p "$(dirname "$target")"
        cp "$workdir/cluster.kubeconfig" "$workdir/merged"
    fi
    # Write in place: keeps the file's owner, mode and any symlink.
    touch "$target"
    chmod 600 "$target"
    cat "$workdir/merged" >"$target"
    log "kube context $context is ready"
}

create() {
    if cluster_exists && node_running; then
        log "kind cluster $name exists from an earlier run: adopting it"
    else
        if cluster_exists; then
            log "kind cluster $name exists but $node is not running: recreating it"
            kind delete cluster --name "$name" --kubeconfig "$workdir/kind.kubeconfig" >&2
        fi
        printf '%s\n' "${KIND_CONFIG:?KIND_CONFIG is required for create}" >"$workdir/kind.yaml"
        # --kubeconfig keeps kind from writing its kind-<name> context into the user's file.
        kind create cluster --name "$name" --config "$workdir/kind.yaml" \
            --kubeconfig "$workdir/kind.kubeconfig" --wait 180s >&2
    fi
    with_kubeconfig_lock merge_context

    local address network
    address=$(docker inspect --format '{{ .NetworkSettings.Networks.kind.IPAddress }}' "$node")
    if [ -z "$address" ] || [ "$address" = "<no value>" ]; then
        log "cannot find the address of $node on the docker network kind"
        return 1
    fi
    network=$(docker network inspect kind --format '{{json .IPAM.Config}}')
    printf '{"apiServer":"https://%s:6443","network":%s}\n' "$address" "$network"
}

delete() {
    if cluster_exists; then
        kind delete cluster --name "$name" --kubeconfig "$workdir/kind.kubeconfig" >&2
    else
        log "kind cluster $name is already gone"
    fi
    with_kubeconfig_lock remove_kubeconfig_entries
}

case "$command" in
create) create ;;
delete) delete ;;
kubeconfig) kind get kubeconfig --name "$name" ;;
*)
    echo "usage: kind-cluster.sh create|delete|kubeconfig" >&2
    exit 2
    ;;
esac
