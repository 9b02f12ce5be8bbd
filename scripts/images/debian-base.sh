#!/usr/bin/env bash
# The Debian path (base-image/debian/README.md): build the Python base and the uv image that
# base-image/Dockerfile takes as PYTHON_IMAGE and UV_IMAGE, from Debian packages and the PyPI uv
# wheel, for machines that cannot pull container images. Rebuilds are cheap: the debootstrap
# tarball is cached under .cache/images/ and re-imported only when it changed.
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
source "$(dirname "$0")/lib.sh"

SUITE="${DEBIAN_SUITE:-trixie}"
PY_VERSION="3.13"
PACKAGES="python${PY_VERSION},ca-certificates"
UV_VERSION="${UV_VERSION:-0.13.0}"
PYTHON_IMAGE_DEBIAN="${PYTHON_IMAGE_DEBIAN:-${IMAGE_PREFIX}/python:${PY_VERSION}-${SUITE}}"
UV_IMAGE_DEBIAN="${UV_IMAGE_DEBIAN:-${IMAGE_PREFIX}/uv:${UV_VERSION}}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-}"

mkdir -p "${IMAGES_CACHE}"
workdir="$(mktemp -d "${IMAGES_CACHE}/work.XXXXXX")"
rootfs="${workdir}/rootfs"
cleanup() {
    local mnt
    for mnt in proc sys dev/pts dev; do
        if mountpoint -q "${rootfs}/${mnt}" 2>/dev/null; then umount -l "${rootfs}/${mnt}" || true; fi
    done
    rm -rf "${workdir}"
}
trap cleanup EXIT

# The certificates tools on this side trust, plus EXTRA_CA_BUNDLE when it is set.
if [[ -n "${EXTRA_CA_BUNDLE:-}" ]]; then
    [[ -r "${EXTRA_CA_BUNDLE}" ]] || die "EXTRA_CA_BUNDLE=${EXTRA_CA_BUNDLE} cannot be read"
    cat /etc/ssl/certs/ca-certificates.crt "${EXTRA_CA_BUNDLE}" >"${workdir}/ca.pem" 2>/dev/null ||
        cp "${EXTRA_CA_BUNDLE}" "${workdir}/ca.pem"
    printf 'ca_certificate = %s\n' "${workdir}/ca.pem" >"${workdir}/wgetrc"
    export WGETRC="${workdir}/wgetrc" SSL_CERT_FILE="${workdir}/ca.pem"
fi


bootstrap_rootfs() {
    [[ "$(id -u)" == 0 ]] || die "debootstrap needs root"
    command -v debootstrap >/dev/null || die "debootstrap is missing (scripts/images/docker-up.sh installs it)"
    log "debootstrap --variant=minbase ${SUITE} (+${PACKAGES})"
    # The mirror argument is optional: empty means debootstrap's default Debian mirror.
    # shellcheck disable=SC2086
    debootstrap --variant=minbase --include="${PACKAGES}" "${SUITE}" "${rootfs}" ${DEBIAN_MIRROR}

    log "trimming the root filesystem (apt lists and caches, docs, man pages, locales)"
    (
        cd "${rootfs}"
        rm -rf var/lib/apt/lists/* var/cache/apt/* var/cache/debconf/*-old var/log/* \
            usr/share/man/* usr/share/info/* usr/share/locale/* usr/share/lintian usr/share/linda
        # Keep each package's copyright file, drop the rest of its documentation.
        find usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
        find usr/share/doc -mindepth 1 -type d -empty -delete
        : >etc/resolv.conf
        : >etc/hostname
        : >etc/machine-id
        # Later `apt-get install`s in derived images stay as slim.
        cat >etc/dpkg/dpkg.cfg.d/01-fleet-slim <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG
        cat >etc/apt/apt.conf.d/01-fleet-slim <<'CFG'
APT::Install-Recommends "false";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
        ln -sf "/usr/bin/python${PY_VERSION}" usr/local/bin/python3
        ln -sf "/usr/bin/python${PY_VERSION}" usr/local/bin/python
    )
    tar --numeric-owner -C "${rootfs}" -cf "${tarball}.tmp" .
    mv "${tarball}.tmp" "${tarball}"
    # Older tarballs of other recipes are dead weight.
    find "${IMAGES_CACHE}" -maxdepth 1 -name "${SUITE}-minbase-python${PY_VERSION}-*.tar" \
        -not -path "${tarball}" -delete
}

# The recipe's hash names the tarball: a change to the suite, the packages or the bootstrap function
# (`declare -f` prints it without comments) bootstraps afresh; anything else reuses the cache.
recipe="$(printf '%s %s\n%s' "${SUITE}" "${PACKAGES}" "$(declare -f bootstrap_rootfs)" | sha256sum | cut -c1-12)"
tarball="${IMAGES_CACHE}/${SUITE}-minbase-python${PY_VERSION}-${recipe}.tar"

import_python_image() {
    local sum stamp current
    sum="$(sha256sum "${tarball}" | cut -d' ' -f1)"
    stamp="${IMAGES_CACHE}/python-image.stamp"
    current="$("${DOCKER}" image inspect -f '{{.Id}}' "${PYTHON_IMAGE_DEBIAN}" 2>/dev/null || true)"
    # Re-importing gives a new image id, which would invalidate every build cache above it.
    if [[ -n "${current}" && -f "${stamp}" && "$(cat "${stamp}")" == "${sum} ${current}" ]]; then
        log "${PYTHON_IMAGE_DEBIAN} is up to date (${current:7:12})"
        return
    fi
    log "docker import -> ${PYTHON_IMAGE_DEBIAN}"
    local previous="${current}"
    "${DOCKER}" import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change "CMD [\"python${PY_VERSION}\"]" \
        --message "debootstrap --variant=minbase ${SUITE} +${PACKAGES}" \
        "${tarball}" "${PYTHON_IMAGE_DEBIAN}" >/dev/null
    current="$("${DOCKER}" image inspect -f '{{.Id}}' "${PYTHON_IMAGE_DEBIAN}")"
    printf '%s %s\n' "${sum}" "${current}" >"${stamp}"
    # The image this import replaced, if nothing else uses it.
    if [[ -n "${previous}" && "${previous}" != "${current}" ]]; then
        "${DOCKER}" rmi "${previous}" >/dev/null 2>&1 || true
    fi
    "${DOCKER}" run --rm --network host "${PYTHON_IMAGE_DEBIAN}" "python${PY_VERSION}" -c \
        'import ssl, sys; print("python", sys.version.split()[0], ssl.OPENSSL_VERSION)'
}

build_uv_image() {
    if "${DOCKER}" image inspect "${UV_IMAGE_DEBIAN}" >/dev/null 2>&1; then
        log "${UV_IMAGE_DEBIAN} is present"
        return
    fi
    local bindir="${IMAGES_CACHE}/uv-${UV_VERSION}"
    if [[ ! -x "${bindir}/uv" ]]; then
        log "fetching the uv ${UV_VERSION} wheel"
        rm -rf "${workdir}/uvpkg"
        uv pip install --quiet --no-deps --target "${workdir}/uvpkg" \
            --python-version "${PY_VERSION}" --python-platform "$(uname -m)-manylinux_2_28" \
            "uv==${UV_VERSION}"
        mkdir -p "${bindir}"
        cp "${workdir}/uvpkg/bin/uv" "${workdir}/uvpkg/bin/uvx" "${bindir}/"
    fi
    "${bindir}/uv" --version
    log "building ${UV_IMAGE_DEBIAN}"
    "${DOCKER}" build --network host -f "${REPO_ROOT}/base-image/debian/uv.Dockerfile" \
        -t "${UV_IMAGE_DEBIAN}" "${bindir}"
}

if [[ -f "${tarball}" ]]; then
    log "reusing ${tarball#"${REPO_ROOT}/"}"
else
    bootstrap_rootfs
fi
import_python_image
build_uv_image
"${DOCKER}" image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' |
    grep -E "^(${PYTHON_IMAGE_DEBIAN}|${UV_IMAGE_DEBIAN})  " || true
