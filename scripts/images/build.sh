#!/usr/bin/env bash
# Build the base images and every service image that has a src/ (make images / images-debian).
# PYTHON_IMAGE and UV_IMAGE override the Dockerfile's pinned defaults (the Debian path sets them);
# EXTRA_CA_BUNDLE hands a CA bundle to the downloads as a build secret.
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
source "$(dirname "$0")/lib.sh"

cd "${REPO_ROOT}"
# Host network by default: this machine's engine has no bridge (DOCKER_BUILD_NETWORK=default elsewhere).
common=(--network "${DOCKER_BUILD_NETWORK:-host}" --progress=plain)
mapfile -t secret < <(ca_secret_args)
common+=("${secret[@]}")
revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
base_args=(--build-arg "REVISION=${revision}")
[[ -n "${PYTHON_IMAGE:-}" ]] && base_args+=(--build-arg "PYTHON_IMAGE=${PYTHON_IMAGE}")
[[ -n "${UV_IMAGE:-}" ]] && base_args+=(--build-arg "UV_IMAGE=${UV_IMAGE}")

base_build="${IMAGE_PREFIX}/base-build:${IMAGE_TAG}"
base_runtime="${IMAGE_PREFIX}/base:${IMAGE_TAG}"

timed() {
    local started=${SECONDS}
    "$@"
    log "  took $((SECONDS - started)) s"
}

log "building ${base_build} (PYTHON_IMAGE=${PYTHON_IMAGE:-<Dockerfile default>}, UV_IMAGE=${UV_IMAGE:-<Dockerfile default>})"
timed "${DOCKER}" build "${common[@]}" "${base_args[@]}" -f base-image/Dockerfile --target build \
    -t "${base_build}" .
log "building ${base_runtime}"
timed "${DOCKER}" build "${common[@]}" "${base_args[@]}" -f base-image/Dockerfile --target runtime \
    -t "${base_runtime}" .

built=()
while read -r svc; do
    [[ -n "${svc}" ]] || continue
    log "building ${IMAGE_PREFIX}/${svc}:${IMAGE_TAG}"
    timed "${DOCKER}" build "${common[@]}" \
        --build-arg "BASE_BUILD_IMAGE=${base_build}" --build-arg "BASE_RUNTIME_IMAGE=${base_runtime}" \
        -f "services/${svc}/Dockerfile" -t "${IMAGE_PREFIX}/${svc}:${IMAGE_TAG}" .
    built+=("${svc}")
done < <(buildable_services)

# Earlier builds of these tags are left untagged; drop those (only images carrying the fleet's label).
"${DOCKER}" image prune --force --filter "label=org.opencontainers.image.vendor=fleet" >/dev/null
log "built: ${base_build} ${base_runtime}$(printf " ${IMAGE_PREFIX}/%s:${IMAGE_TAG}" "${built[@]}")"
