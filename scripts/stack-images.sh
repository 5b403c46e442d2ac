#!/usr/bin/env bash
# Build the images of the compose stack test offline: one Debian rootfs (debootstrap) with
# PostgreSQL, Redis, Caddy, Prometheus, Alertmanager, age and Python with the bridge's
# dependencies, imported into Docker; then one small image per service FROM it (see
# tests/stack/images/). The production Dockerfiles are not used: their public base images
# cannot be pulled here. The rootfs is rebuilt only when its package list or the Python
# dependencies change; the service images are rebuilt every time (seconds).
#   scripts/stack-images.sh            build everything, print the tags
set -euo pipefail
cd "$(dirname "$0")/.."

SUITE=bookworm
MIRROR=${GRADER_DEBIAN_MIRROR:-http://deb.debian.org/debian}
BUILD=${STACK_BUILD_DIR:-var/stack}
PYTHON=${PYTHON:-.venv/bin/python}
PACKAGES=python3,python-is-python3,python3-async-timeout,ca-certificates,wget,procps,postgresql,postgresql-client,redis-server,caddy,prometheus,prometheus-alertmanager,age
SERVICES=(bridge grader backup postgres redis caddy prometheus alertmanager moodle)

log() { printf '[stack-images] %s\n' "$*" >&2; }

unmount_under() {
    # debootstrap can leave /proc mounted inside the rootfs; never rm -rf across a mount.
    local mounts
    mounts=$(awk -v root="$(realpath -m "$1")" 'index($2, root "/") == 1 {print $2}' /proc/mounts | sort -r)
    for mount in $mounts; do umount -l "$mount"; done
}

requirements() {
    # The lock file when there is one, else the dependencies pyproject.toml declares.
    if [[ -f requirements.lock ]]; then
        cat requirements.lock
    else
        "$PYTHON" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))'
    fi
}

digest=$( { echo "$SUITE $PACKAGES 3.11.2"; requirements; } | sha256sum | cut -c1-16)
rootfs_tag="moodle-bridge-test/rootfs:$digest"

if ! docker image inspect "$rootfs_tag" >/dev/null 2>&1; then
    [[ $(id -u) -eq 0 ]] || { log "building the rootfs needs root (debootstrap)"; exit 1; }
    command -v debootstrap >/dev/null || { log "debootstrap is missing: .ci/services.sh docker"; exit 1; }
    rootfs="$BUILD/rootfs"
    unmount_under "$rootfs"
    rm -rf "$rootfs" "$BUILD/site"
    mkdir -p "$BUILD/debs"
    log "debootstrap $SUITE (a few minutes)"
    debootstrap --variant=minbase --include="$PACKAGES" --cache-dir="$(realpath "$BUILD/debs")" \
        "$SUITE" "$rootfs" "$MIRROR" >"$BUILD/debootstrap.log" 2>&1 \
        || { tail -n 30 "$BUILD/debootstrap.log" >&2; exit 1; }
    unmount_under "$rootfs"
    log "installing the Python dependencies for Debian's python3"
    requirements >"$BUILD/requirements.txt"
    require_hashes=()
    grep -q -- '--hash=' "$BUILD/requirements.txt" && require_hashes=(--require-hashes)
    # Wheels for Debian's interpreter (3.11.2), not this one. pip does not evaluate markers for
    # it: redis needs async-timeout below 3.11.3, which Debian's python3-async-timeout provides.
    "$PYTHON" -m pip install --quiet --no-warn-script-location --no-compile "${require_hashes[@]}" \
        --only-binary=:all: --python-version 3.11.2 --implementation cp --abi cp311 \
        --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux_2_28_x86_64 --platform linux_x86_64 \
        --target "$BUILD/site" -r "$BUILD/requirements.txt"
    site="$rootfs/usr/local/lib/python3.11/dist-packages"
    mkdir -p "$site"
    cp -a "$BUILD/site/." "$site/"
    rm -rf "${site:?}/bin"
    for tool in celery uvicorn alembic; do
        printf '#!/bin/sh\nexec python3 -m %s "$@"\n' "$tool" >"$rootfs/usr/local/bin/$tool"
        chmod 755 "$rootfs/usr/local/bin/$tool"
    done
    printf '#!/bin/sh\nexec python3 -m bridge "$@"\n' >"$rootfs/usr/local/bin/bridge"
    printf '#!/bin/sh\nexec python3 -m grader "$@"\n' >"$rootfs/usr/local/bin/grader"
    chmod 755 "$rootfs/usr/local/bin/bridge" "$rootfs/usr/local/bin/grader"
    rm -rf "$rootfs/var/cache/apt/archives" "$rootfs/usr/share/doc" "$rootfs/usr/share/man"
    log "importing the rootfs as $rootfs_tag"
    tar --numeric-owner -C "$rootfs" -c . | docker import - "$rootfs_tag" >/dev/null
    rm -rf "$rootfs" "$BUILD/site"
fi

for service in "${SERVICES[@]}"; do
    tag="moodle-bridge-test/$service:stack"
    if ! out=$(docker build --quiet --network none --build-arg "ROOTFS=$rootfs_tag" \
            -f "tests/stack/images/Dockerfile.$service" -t "$tag" . 2>&1); then
        printf '%s\n' "$out" >&2
        exit 1
    fi
    echo "$tag"
done
