# The Debian path's uv image: the same shape as the official uv image (`/uv`, `/uvx` on an empty
# root), filled from the PyPI `uv` wheel because this path cannot pull images. Built by
# scripts/images/debian-base.sh, whose build context holds only the two binaries.
# It is never run, only copied from (COPY --from=uv /uv ...), so it has no user and no health check:
# checkov:skip=CKV_DOCKER_2: not a runnable image; a stage that only provides the uv binary.
# checkov:skip=CKV_DOCKER_3: not a runnable image; a stage that only provides the uv binary.
FROM scratch
COPY uv uvx /
