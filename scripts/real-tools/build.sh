#!/usr/bin/env bash
# Builds the real tools of the test tiers once per version into a cache folder, and prints the
# lines that put them to use:
#   eval "$(bash scripts/real-tools/build.sh)"
# - the Pulumi CLI and Node.js language host at the lock file's @pulumi/pulumi version;
# - the provider plugins command, tls and kubernetes, installed into a plugin folder of the tests'
#   own (never your ~/.pulumi), from ../shared/tool-sources (or ISTIO_MC_TOOL_SOURCES) and the Go
#   module proxy; archives are checked against SHA256SUMS before use;
# - kind; Kubernetes control planes without containers: kube-apiserver, kube-controller-manager,
#   kube-scheduler, kubectl, etcd, kwok, kwokctl; helm; Istio's pilot-discovery (istiod), charts and
#   the tests' xDS client (test/xds-client), built on Istio's own packages.
# Everything comes from the Go module proxy or the shared archives, nothing else from the network.
# Without the shared archives the plugins are skipped and the language host falls back to the
# newest one the proxy serves (v3.68.0, which runs the 3.248.0 SDK's program loader unchanged).
set -euo pipefail
cd "$(dirname "$0")/../.."

cache="${ISTIO_MC_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/istio-multicluster/tools}"
sources="${ISTIO_MC_TOOL_SOURCES:-$PWD/../shared/tool-sources}"
lock_version() { node -p "require('./package-lock.json').packages['node_modules/$1'].version"; }
pulumi_version="v$(lock_version @pulumi/pulumi)"
kind_version="v0.33.0"
kube_version="v1.36.3" # Kubernetes 1.36: what the pinned kind node image runs
etcd_version="v3.6.16"
kwok_version="v0.8.0"
helm_version="v3.21.4"
# Istio's release-1.31 branch after 1.31.0-rc.0: the proxy serves no release tag of istio.io/istio.
istio_module_version="v0.0.0-20260827124520-eed52ebb66ad"
# The plugin versions whose source is to be had here (shared/tool-sources/README.md); each is
# installed under the version the lock file asks for, and the engine warns about the difference.
command_version="1.2.1"
tls_version="5.5.1"
kubernetes_version="4.25.0"
kubernetes_module_version="v4.0.0-20260115033456-f47bc2d6f199" # = tag v4.25.0, the one the proxy serves
export GOFLAGS="${GOFLAGS:-} -mod=mod" GOTOOLCHAIN=local CGO_ENABLED=0

log() { printf 'real-tools: %s\n' "$*" >&2; }

# build NAME VERSION: runs build_NAME into a fresh folder, then renames it into place, so an
# interrupted build never leaves a half-written tool in the cache.
build() {
    local name="$1" version="$2" dest="$cache/$1-$2"
    if [[ -e "$dest/.complete" ]]; then return 0; fi
    log "building $name $version (once per machine) ..."
    local work started=$SECONDS
    work="$(mktemp -d "$cache/.build-$name-XXXXXX")"
    trap 'rm -rf "$work"' RETURN
    mkdir -p "$work/bin"
    "build_$name" "$version" "$work" >&2
    rm -rf "$work/src"
    touch "$work/.complete"
    rm -rf "$dest"
    mv "$work" "$dest"
    trap - RETURN
    log "built $name $version in $((SECONDS - started)) s"
}

# The shared archive NAME, checked against SHA256SUMS, unpacked into DEST.
unpack() {
    local name="$1" dest="$2"
    (cd "$sources" && grep " $name\$" SHA256SUMS | sha256sum --check --status) ||
        { log "$sources/$name does not match its digest in SHA256SUMS: refusing to build from it"; return 1; }
    mkdir -p "$dest"
    tar -xzf "$sources/$name" -C "$dest"
}

# wrapper DIR MODULE@VERSION...: a throwaway module in DIR that requires each MODULE. `go install
# PKG@VERSION` refuses modules whose go.mod has replace directives, so their replaces are
# repeated: a versioned one as it is, a Kubernetes staging folder as that module at the staging
# version (v0.X.Y of v1.X.Y), and any other folder dropped (it names a module that is required
# at its published version anyway).
wrapper() {
    local dir="$1"
    shift
    mkdir -p "$dir"
    (
        cd "$dir"
        go mod init istio-multicluster.local/real-tools >/dev/null 2>&1
        for module in "$@"; do
            go mod download -json "$module" >module.json
            node -e '
                const { execFileSync } = require("child_process");
                const { GoMod, Version } = JSON.parse(require("fs").readFileSync("module.json", "utf8"));
                const { Replace } = JSON.parse(execFileSync("go", ["mod", "edit", "-json", GoMod], { encoding: "utf8" }));
                const staging = Version.replace(/^v1\./, "v0.");
                for (const r of Replace ?? []) {
                    const old = r.Old.Version ? `${r.Old.Path}@${r.Old.Version}` : r.Old.Path;
                    let target;
                    if (r.New.Version) target = `${r.New.Path}@${r.New.Version}`;
                    else if (r.New.Path.startsWith("./staging/src/")) target = `${r.Old.Path}@${staging}`;
                    else continue;
                    execFileSync("go", ["mod", "edit", `-replace=${old}=${target}`], { stdio: "inherit" });
                }'
            rm module.json
        done
        go get "$@"
    )
}

# Sets "version" in a provider schema (what upstream's `go generate` does) and writes it compact.
embed_json() {
    node -e '
        const fs = require("fs");
        const [from, to, version] = process.argv.slice(1);
        const json = JSON.parse(fs.readFileSync(from, "utf8"));
        if (version) json.version = version;
        fs.writeFileSync(to, JSON.stringify(json));' "$@"
}

pulumi_ldflags() { echo "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$1"; }

build_pulumi() {
    wrapper "$2/src" "github.com/pulumi/pulumi/pkg/v3@$1"
    (cd "$2/src" && go build -trimpath -ldflags "$(pulumi_ldflags "$1")" -o "$2/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

# The language host has a module of its own that the proxy does not serve: from the shared
# archive of that version's source, with its ../.. replaces turned into the published modules.
build_pulumi-language-nodejs() {
    if [[ "$1" == v3.68.0 ]]; then
        wrapper "$2/src" "github.com/pulumi/pulumi/sdk/v3@$1"
        (cd "$2/src" && go build -trimpath -ldflags "$(pulumi_ldflags "$1")" -o "$2/bin/pulumi-language-nodejs" \
            github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
        return
    fi
    unpack "pulumi-$1-pulumi-language-nodejs.tar.gz" "$2/src"
    (
        cd "$2/src/pulumi-language-nodejs"
        go mod edit -dropreplace=github.com/pulumi/pulumi/pkg/v3 -dropreplace=github.com/pulumi/pulumi/sdk/v3 \
            -require="github.com/pulumi/pulumi/pkg/v3@$1" -require="github.com/pulumi/pulumi/sdk/v3@$1"
        go build -trimpath -ldflags "$(pulumi_ldflags "$1")" -o "$2/bin/pulumi-language-nodejs" .
    )
}

build_pulumi-resource-command() {
    unpack "pulumi-command-v$1-provider.tar.gz" "$2/src"
    (
        cd "$2/src/provider"
        go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi-command/provider/pkg/version.Version=$1" \
            -o "$2/bin/pulumi-resource-command" ./cmd/pulumi-resource-command
    )
}

build_pulumi-resource-tls() {
    unpack "pulumi-tls-v$1-provider.tar.gz" "$2/src/tls"
    unpack pulumi-dotnet-6a2eb2585b50-pulumi-language-dotnet.tar.gz "$2/src/dotnet"
    unpack pulumi-yaml-294c561f47f4.tar.gz "$2/src/yaml"
    (
        cd "$2/src/tls/provider"
        # The proxy refuses the pinned commits of these three; the bridge's tfgen imports the last two.
        go mod edit \
            -replace=github.com/hashicorp/terraform-provider-tls=github.com/hashicorp/terraform-provider-tls@v1.2.1-0.20260130152455-857b38cda3fc \
            -replace=github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3="$2/src/dotnet/pulumi-language-dotnet" \
            -replace=github.com/pulumi/pulumi-yaml="$2/src/yaml"
        embed_json cmd/pulumi-resource-tls/schema.json cmd/pulumi-resource-tls/schema-embed.json "$1"
        go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi-tls/provider/v5/pkg/version.Version=$1" \
            -o "$2/bin/pulumi-resource-tls" ./cmd/pulumi-resource-tls
    )
}

build_pulumi-resource-kubernetes() {
    local dir
    dir="$(go mod download -json "github.com/pulumi/pulumi-kubernetes/provider/v4@$kubernetes_module_version" |
        node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).Dir)')"
    cp -r "$dir" "$2/src"
    chmod -R u+w "$2/src"
    (
        cd "$2/src"
        go mod edit -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4 # ../sdk, not in the module
        cd cmd/pulumi-resource-kubernetes
        embed_json schema.json schema-embed.json "$1"
        embed_json terraform-mapping.json terraform-mapping-embed.json ""
        go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$1" \
            -o "$2/bin/pulumi-resource-kubernetes" .
    )
}

# One module and one `go build` for everything that shares Kubernetes' dependencies.
build_control-plane() {
    wrapper "$2/src" "k8s.io/kubernetes@$kube_version" "go.etcd.io/etcd/server/v3@$etcd_version" \
        "sigs.k8s.io/kwok@$kwok_version" "helm.sh/helm/v3@$helm_version"
    local minor="${kube_version#v1.}"
    minor="${minor%%.*}"
    local kube="k8s.io/component-base/version" kwok="sigs.k8s.io/kwok/pkg/consts" helm="helm.sh/helm/v3/internal/version"
    (
        cd "$2/src"
        go build -trimpath -o "$2/bin/" -ldflags "-s -w \
            -X $kube.gitVersion=$kube_version -X $kube.gitMajor=1 -X $kube.gitMinor=$minor \
            -X k8s.io/client-go/pkg/version.gitVersion=$kube_version -X k8s.io/client-go/pkg/version.gitMajor=1 \
            -X k8s.io/client-go/pkg/version.gitMinor=$minor \
            -X $kwok.Version=$kwok_version -X $kwok.KubeVersion=$kube_version -X $helm.version=$helm_version" \
            k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
            k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl go.etcd.io/etcd/server/v3 \
            sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl helm.sh/helm/v3/cmd/helm
        # The etcd server's main package is its module's root (go.etcd.io/etcd/server/v3).
        if [[ -e "$2/bin/server" ]]; then mv "$2/bin/server" "$2/bin/etcd"; else mv "$2/bin/v3" "$2/bin/etcd"; fi
    )
}

build_kind() {
    GOBIN="$2/bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kind@$1"
}

# Istio's charts base, istiod and gateway as they are in the module the proxy serves (the tests
# package them at the versions they ask for and serve them as a chart repository).
build_istio-charts() {
    local dir
    dir="$(go mod download -json "istio.io/istio@$1" | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).Dir)')"
    cp -r "$dir/manifests/charts/base" "$2/base"
    cp -r "$dir/manifests/charts/istio-control/istio-discovery" "$2/istiod"
    cp -r "$dir/manifests/charts/gateway" "$2/gateway"
    chmod -R u+w "$2"
}

# Istio's control plane (pilot-discovery, the istiod binary) and the tier's xDS client
# (test/xds-client), which is written on Istio's own client packages: one module, one build.
build_istiod() {
    wrapper "$2/src" "istio.io/istio@$istio_module_version"
    mkdir -p "$2/src/xds-client"
    cp test/xds-client/main.go "$2/src/xds-client/"
    (
        cd "$2/src"
        go build -trimpath -o "$2/bin/" \
            -ldflags "-s -w -X istio.io/istio/pkg/version.buildVersion=1.31-$istio_module_version -X istio.io/istio/pkg/version.buildStatus=Clean" \
            istio.io/istio/pilot/cmd/pilot-discovery ./xds-client
    )
}

command -v go >/dev/null || { log "Go 1.25+ is needed to build the real tools (https://go.dev/doc/install)"; exit 1; }
mkdir -p "$cache"
control_plane="kube-$kube_version-etcd-$etcd_version-kwok-$kwok_version-helm-$helm_version"
# A new xds-client source is a new build (the Go build cache keeps pilot-discovery's packages).
istiod="$istio_module_version-client-$(sha256sum test/xds-client/main.go | cut -c1-12)"
if [[ -f "$sources/SHA256SUMS" ]]; then
    language_host_version="$pulumi_version"
else
    log "no $sources/SHA256SUMS: the provider plugins are not built (the real-clusters tier is skipped)," \
        "and the language host is v3.68.0's, the newest the Go module proxy serves"
    language_host_version=v3.68.0
fi

# Two lanes at once: each build keeps both cores busy only part of the time (module downloads,
# linking), so a second one fills the gaps. Each lane's builds share their Go packages.
pulumi_lane() {
    build pulumi "$pulumi_version"
    build pulumi-language-nodejs "$language_host_version"
    if [[ -f "$sources/SHA256SUMS" ]]; then
        build pulumi-resource-command "$command_version"
        build pulumi-resource-tls "$tls_version"
        build pulumi-resource-kubernetes "$kubernetes_version"
    fi
}
kubernetes_lane() {
    build kind "$kind_version"
    build control-plane "$control_plane"
    build istio-charts "$istio_module_version"
    build istiod "$istiod"
}
pulumi_lane &
pulumi_pid=$!
kubernetes_lane &
kubernetes_pid=$!
failed=0
wait "$pulumi_pid" || failed=1
wait "$kubernetes_pid" || failed=1
((failed == 0)) || { log "a build failed: its messages are above"; exit 1; }
paths=("$cache/pulumi-$pulumi_version/bin" "$cache/kind-$kind_version/bin" "$cache/control-plane-$control_plane/bin" "$cache/istiod-$istiod/bin")

# Next to the CLI, as Pulumi ships it: the CLI takes it from there without a warning.
cmp -s "$cache/pulumi-language-nodejs-$language_host_version/bin/pulumi-language-nodejs" \
    "$cache/pulumi-$pulumi_version/bin/pulumi-language-nodejs" ||
    cp "$cache/pulumi-language-nodejs-$language_host_version/bin/pulumi-language-nodejs" "$cache/pulumi-$pulumi_version/bin/"

if [[ -f "$sources/SHA256SUMS" ]]; then
    # A plugin folder of the tests' own; each plugin under the version the lock file asks for.
    # (Never on PATH: the engine would prefer a pulumi-resource-* there to an installed plugin.)
    plugins="$cache/pulumi-plugins"
    manifest=()
    for plugin in command:$command_version tls:$tls_version kubernetes:$kubernetes_version; do
        name="${plugin%%:*}" built="${plugin#*:}"
        asked="$(lock_version "@pulumi/$name")"
        manifest+=("$name $asked $built")
        [[ -e "$plugins/resource-$name-v$asked.built-$built" ]] && continue
        rm -rf "$cache/.pulumi-home"
        PULUMI_HOME="$cache/.pulumi-home" "$cache/pulumi-$pulumi_version/bin/pulumi" plugin install resource "$name" "$asked" \
            --file "$cache/pulumi-resource-$name-$built/bin/pulumi-resource-$name" >&2
        mkdir -p "$plugins"
        rm -rf "$plugins/resource-$name-v$asked" "$plugins/resource-$name-v$asked".*
        mv "$cache/.pulumi-home/plugins/resource-$name-v$asked" "$plugins/"
        touch "$plugins/resource-$name-v$asked.built-$built"
    done
    rm -rf "$cache/.pulumi-home"
    printf '%s\n' "${manifest[@]}" >"$plugins/VERSIONS" # name, version the lock file asks for, version built
    echo "export ISTIO_MC_PULUMI_PLUGINS=\"$plugins\""
fi
echo "export ISTIO_MC_ISTIO_CHARTS=\"$cache/istio-charts-$istio_module_version\""
echo "export PATH=\"$(IFS=:; echo "${paths[*]}"):\$PATH\""
