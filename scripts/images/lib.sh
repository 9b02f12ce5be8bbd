# Shared helpers of scripts/images/*.sh (sourced, not run).
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
IMAGES_CACHE="${IMAGES_CACHE:-${REPO_ROOT}/.cache/images}"
IMAGE_PREFIX="${IMAGE_PREFIX:-fleet}"
IMAGE_TAG="${IMAGE_TAG:-dev}"
# Every folder under services/ with a pyproject.toml, unless SERVICES names some.
if [[ -z "${SERVICES:-}" ]]; then
    SERVICES="$(cd "${REPO_ROOT}/services" && for manifest in */pyproject.toml; do printf '%s ' "${manifest%%/*}"; done)"
fi
export DOCKER_BUILDKIT=1

log() { printf '\033[1;34m[images]\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33m[images] WARNING:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[images] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }

# A docker CLI that can run BuildKit builds. Docker CE's CLI needs the buildx plugin for that;
# Debian's docker.io CLI (/usr/bin/docker, 20.10) has BuildKit built in. Override with DOCKER=...
pick_docker() {
    if [[ -n "${DOCKER:-}" ]]; then
        return
    fi
    if docker buildx version >/dev/null 2>&1; then
        DOCKER=docker
    elif [[ -x /usr/bin/docker ]]; then
        DOCKER=/usr/bin/docker
    else
        DOCKER=docker
    fi
}
pick_docker

# Services that can be built: a src/ with the app factory module and an entry in uv.lock. The others
# are not written (or not locked) yet and are skipped, loudly.
buildable_services() {
    local svc
    for svc in ${SERVICES}; do
        if [[ ! -d "${REPO_ROOT}/services/${svc}/src" ]]; then
            warn "services/${svc} has no src/ yet: SKIPPING its image"
        elif [[ ! -f "${REPO_ROOT}/services/${svc}/src/${svc}/app.py" ]]; then
            warn "services/${svc} has no src/${svc}/app.py (create_app) yet: SKIPPING its image"
        elif ! grep -qx "source = { editable = \"services/${svc}\" }" "${REPO_ROOT}/uv.lock"; then
            warn "services/${svc} is not in uv.lock yet (run uv lock): SKIPPING its image"
        else
            printf '%s\n' "${svc}"
        fi
    done
}

# `--secret` arguments for docker build when EXTRA_CA_BUNDLE names a file (see base-image/debian/README.md).
ca_secret_args() {
    if [[ -n "${EXTRA_CA_BUNDLE:-}" ]]; then
        [[ -r "${EXTRA_CA_BUNDLE}" ]] || die "EXTRA_CA_BUNDLE=${EXTRA_CA_BUNDLE} cannot be read"
        printf '%s\n' --secret "id=extra_ca,src=${EXTRA_CA_BUNDLE}"
    fi
}
