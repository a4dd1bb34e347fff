#!/usr/bin/env bash
# Image preloading for kind clusters: pull once on the host, load into every cluster.
#
#   images.sh pull   IMAGE -> pulls IMAGE unless the host has it, saves a one-platform archive
#                    (kind load fails on multi-platform images with the containerd image store),
#                    prints the archive's path
#   images.sh load   ARCHIVE into kind cluster KIND_CLUSTER_NAME; an archive that has gone
#                    missing from the cache is made again from IMAGE first
#
# Environment: IMAGE, ARCHIVE, KIND_CLUSTER_NAME, IMAGE_CACHE (default ~/.cache/istio-multicluster/images)
set -euo pipefail

command=${1:?usage: images.sh pull|load}
cache=${IMAGE_CACHE:-$HOME/.cache/istio-multicluster/images}

pull() {
    local image=${IMAGE:?IMAGE is required} arch archive error
    arch=$(docker version --format '{{.Server.Arch}}')
    mkdir -p "$cache"
    archive="$cache/$(printf '%s' "$image" | tr '/:@' '___').tar"
    if ! docker image inspect "$image" >/dev/null 2>&1; then
        echo "pulling $image (linux/$arch)" >&2
        if ! error=$(docker pull --platform "linux/$arch" "$image" 2>&1 >/dev/null); then
            echo "could not pull $image: $(printf '%s\n' "$error" | tail -n 1)" >&2
            echo "If Docker Hub rate-limits anonymous pulls, run 'docker login', or point istioHub/sampleRegistry at a mirror." >&2
            exit 1
        fi
    fi
    if [ ! -s "$archive" ]; then
        if ! docker image save --platform "linux/$arch" -o "$archive.partial" "$image" 2>/dev/null; then
            # Older Docker without --platform on save: single-platform stores save one platform anyway.
            docker image save -o "$archive.partial" "$image"
        fi
        mv "$archive.partial" "$archive"
    fi
    echo "$archive"
}

load() {
    local archive=${ARCHIVE:?ARCHIVE is required} name=${KIND_CLUSTER_NAME:?KIND_CLUSTER_NAME is required}
    if [ ! -s "$archive" ]; then
        # The cache was cleared since the pull ran (pulumi does not rerun it): make it again.
        echo "image archive $archive is missing: pulling ${IMAGE:?IMAGE is required to re-pull} again" >&2
        archive=$(pull | tail -n 1)
    fi
    kind load image-archive "$archive" --name "$name" >&2
    echo "loaded $(basename "$archive") into $name"
}

case "$command" in
pull) pull ;;
load) load ;;
*)
    echo "usage: images.sh pull|load" >&2
    exit 2
    ;;
esac
