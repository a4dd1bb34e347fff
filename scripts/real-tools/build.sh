#!/usr/bin/env bash
# Builds the real tools that the real-engine and host-side test tiers use, from the Go module
# proxy, once per version, into a cache folder; prints `export PATH=...` lines for them.
#   bash scripts/real-tools/build.sh            build what is missing, print the PATH line
# Versions follow package-lock.json (@pulumi/pulumi) and the pins below. See README, "Tests".
set -euo pipefail
cd "$(dirname "$0")/../.."

cache="${ISTIO_MC_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/istio-multicluster/tools}"
pulumi_version="v$(node -p 'require("./package-lock.json").packages["node_modules/@pulumi/pulumi"].version')"
# The Node.js language host left sdk/v3 for a module of its own that the proxy here does not
# serve; v3.68.0 is the newest sdk/v3 that still carries it (README, "What is proven where").
language_host_version="v3.68.0"
kind_version="v0.33.0"
export GOFLAGS="${GOFLAGS:-} -mod=mod" GOTOOLCHAIN=local CGO_ENABLED=0

log() { printf 'real-tools: %s\n' "$*" >&2; }

# build NAME VERSION: runs build_NAME into a fresh folder, then renames it into place, so an
# interrupted build never leaves a half-written binary in the cache.
build() {
    local name="$1" version="$2" dest="$cache/$1-$2"
    if [[ -x "$dest/bin/$1" ]]; then return 0; fi
    log "building $name $version (once per machine) ..."
    local work
    work="$(mktemp -d "${cache}/.build-$name-XXXXXX")"
    trap 'rm -rf "$work"' RETURN
    mkdir -p "$work/bin"
    "build_$name" "$version" "$work" >&2
    rm -rf "$dest"
    mv "$work" "$dest"
    trap - RETURN
    log "built $dest/bin/$name"
}

# go_build_from MODULE VERSION PACKAGE OUT: `go install PKG@VERSION` refuses modules whose
# go.mod has replace directives, so a throwaway wrapper module requires MODULE and repeats
# its replaces that point at other modules (local ones name folders outside the module).
go_build_from() {
    local module="$1" version="$2" package="$3" out="$4" src
    src="$(dirname "$out")/../src"
    mkdir -p "$src"
    (
        cd "$src"
        go mod init istio-multicluster.local/real-tools >/dev/null 2>&1
        go mod download -json "$module@$version" >module.json
        node -e '
            const { execFileSync } = require("child_process");
            const gomod = JSON.parse(require("fs").readFileSync("module.json", "utf8")).GoMod;
            const { Replace } = JSON.parse(execFileSync("go", ["mod", "edit", "-json", gomod], { encoding: "utf8" }));
            for (const r of Replace ?? []) {
                if (!r.New.Version) continue; // a folder in the upstream repository
                const old = r.Old.Version ? `${r.Old.Path}@${r.Old.Version}` : r.Old.Path;
                execFileSync("go", ["mod", "edit", `-replace=${old}=${r.New.Path}@${r.New.Version}`], { stdio: "inherit" });
            }'
        go get "$module@$version" "$package@$version"
        go build -trimpath -o "$out" \
            -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" "$package"
    )
    rm -rf "$src"
}

build_pulumi() {
    # pkg/v3 replaces sdk/v3 with its own folder: require sdk/v3 at the same version instead.
    go_build_from github.com/pulumi/pulumi/pkg/v3 "$1" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$2/bin/pulumi"
}

build_pulumi-language-nodejs() {
    go_build_from github.com/pulumi/pulumi/sdk/v3 "$1" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
        "$2/bin/pulumi-language-nodejs"
}

build_kind() {
    GOBIN="$2/bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kind@$1"
}

command -v go >/dev/null || { log "Go is needed to build the real tools (go.dev/doc/install)"; exit 1; }
mkdir -p "$cache"
build pulumi "$pulumi_version"
build pulumi-language-nodejs "$language_host_version"
build kind "$kind_version"
echo "export PATH=\"$cache/pulumi-$pulumi_version/bin:$cache/pulumi-language-nodejs-$language_host_version/bin:$cache/kind-$kind_version/bin:\$PATH\""
