#!/bin/sh
# Runs a command that downloads packages inside an image build. When the build was handed the
# BuildKit secret `extra_ca` (a PEM bundle, for networks that intercept TLS), the command trusts it
# on top of the image's own CA bundle; the combined file lives only for this one command.
set -eu
secret=/run/secrets/extra_ca
if [ ! -s "${secret}" ]; then
    exec "$@"
fi
bundle="$(mktemp)"
trap 'rm -f "${bundle}"' EXIT
cat /etc/ssl/certs/ca-certificates.crt "${secret}" >"${bundle}"
SSL_CERT_FILE="${bundle}" "$@"
