#!/usr/bin/env bash
# Build the base images and every service image that has a src/ (make images / images-debian):
# one services/Dockerfile for all of them, the service named by its SERVICE build argument.
# PYTHON_IMAGE and UV_IMAGE override the Dockerfile's pinned defaults (the Debian path sets them);
# EXTRA_CA_BUNDLE hands a CA bundle to the downloads as a build secret.
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
source "$(dirname "$0")/lib.sh"

cd "${REPO_ROOT}"
# Options, all off unless set (bash >= 3.2: no mapfile, no expansion of an empty array under set -u):
#   DOCKER_BUILD_NETWORK=host   build steps use the host's network (engines without a bridge, as on
#                               the machine whose .ci/run sets it); the engine's default otherwise
#   BUILD_OUTPUT=load|push      load into the local engine (default: a docker-container builder then
#                               still ends with local images) or push to the registry named by IMAGE_PREFIX
#   BUILD_PLATFORMS=linux/amd64,linux/arm64   with BUILD_OUTPUT=push: one multi-arch image per tag
#   BUILD_ATTEST=1              with BUILD_OUTPUT=push: an SBOM and max-mode provenance per image
common=(--progress=plain)
if [[ -n "${DOCKER_BUILD_NETWORK:-}" ]]; then
    common+=(--network "${DOCKER_BUILD_NETWORK}")
fi
case "${BUILD_OUTPUT:-load}" in
    load) if "${DOCKER}" buildx version >/dev/null 2>&1; then common+=(--load); fi ;;
    push) common+=(--push) ;;
    *) die "BUILD_OUTPUT=${BUILD_OUTPUT} is neither load nor push" ;;
esac
if [[ -n "${BUILD_PLATFORMS:-}" ]]; then
    [[ "${BUILD_OUTPUT:-load}" == push ]] || die "BUILD_PLATFORMS needs BUILD_OUTPUT=push (a local engine holds one platform)"
    common+=(--platform "${BUILD_PLATFORMS}")
fi
if [[ "${BUILD_ATTEST:-0}" == 1 ]]; then
    common+=(--sbom=true --provenance=mode=max)
fi
if [[ -n "${EXTRA_CA_BUNDLE:-}" ]]; then
    [[ -r "${EXTRA_CA_BUNDLE}" ]] || die "EXTRA_CA_BUNDLE=${EXTRA_CA_BUNDLE} cannot be read"
    common+=(--secret "id=extra_ca,src=${EXTRA_CA_BUNDLE}")
fi
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

built=""
while read -r svc; do
    [[ -n "${svc}" ]] || continue
    log "building ${IMAGE_PREFIX}/${svc}:${IMAGE_TAG}"
    timed "${DOCKER}" build "${common[@]}" \
        --build-arg "BASE_BUILD_IMAGE=${base_build}" --build-arg "BASE_RUNTIME_IMAGE=${base_runtime}" \
        --build-arg "SERVICE=${svc}" -f services/Dockerfile -t "${IMAGE_PREFIX}/${svc}:${IMAGE_TAG}" .
    built="${built} ${IMAGE_PREFIX}/${svc}:${IMAGE_TAG}"
done < <(buildable_services)

# Earlier builds of these tags are left untagged; drop those (only images carrying the fleet's label).
"${DOCKER}" image prune --force --filter "label=org.opencontainers.image.vendor=fleet" >/dev/null
log "built: ${base_build} ${base_runtime}${built}"
