#!/usr/bin/env bash
# Make a Docker engine available: install Debian's docker.io and debootstrap when missing, and start
# dockerd with no bridge network (containers here use the host network) when none answers.
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
source "$(dirname "$0")/lib.sh"

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
    [[ "$(id -u)" == 0 ]] || die "docker.io and debootstrap are missing and this is not root"
    log "installing docker.io and debootstrap"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker.io debootstrap
    DOCKER=""
    pick_docker
fi

if "${DOCKER}" info >/dev/null 2>&1; then
    log "docker engine already running"
    exit 0
fi

mkdir -p "${IMAGES_CACHE}"
log "starting dockerd (no bridge, no iptables), log: ${IMAGES_CACHE}/dockerd.log"
nohup dockerd --bridge=none --iptables=false >"${IMAGES_CACHE}/dockerd.log" 2>&1 &
echo $! >"${IMAGES_CACHE}/dockerd.pid"
for _ in $(seq 1 60); do
    if "${DOCKER}" info >/dev/null 2>&1; then
        log "dockerd is up (pid $(cat "${IMAGES_CACHE}/dockerd.pid"))"
        exit 0
    fi
    sleep 0.5
done
tail -n 30 "${IMAGES_CACHE}/dockerd.log" >&2
die "dockerd did not answer within 30 s"
