# The Debian path's uv image: the same shape as the official uv image (`/uv`, `/uvx` on an empty
# root), filled from the PyPI `uv` wheel because this path cannot pull images. Built by
# scripts/images/debian-base.sh, whose build context holds only the two binaries.
FROM scratch
COPY uv uvx /
