"""The JWKS comes from the key files; this slice runs no SQL."""
