#!/usr/bin/env bash
# Stop the dockerd that docker-up.sh started (and only that one).
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
source "$(dirname "$0")/lib.sh"

pidfile="${IMAGES_CACHE}/dockerd.pid"
if [[ ! -f "${pidfile}" ]]; then
    log "no dockerd started by docker-up.sh; leaving the engine alone"
    exit 0
fi
pid="$(cat "${pidfile}")"
if kill -0 "${pid}" 2>/dev/null; then
    log "stopping dockerd (pid ${pid})"
    kill -TERM "${pid}"
    for _ in $(seq 1 40); do
        kill -0 "${pid}" 2>/dev/null || break
        sleep 0.5
    done
fi
rm -f "${pidfile}"
