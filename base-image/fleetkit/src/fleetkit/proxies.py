"""The client's address: the TCP peer, or what trusted proxies forwarded, never what a client claims.

Behind an ingress every request's TCP peer is the ingress pod, so a limit keyed on the peer is
one bucket shared by every user. The proxies record the address they received each request from
in ``X-Forwarded-For`` (or RFC 7239 ``Forwarded``), each appending to whatever came before; only
the entries appended by proxies you run are true, anything to their left is what the client
wrote. So the headers are read only when the peer is in ``TRUSTED_PROXIES``, and walked from the
right: trusted hops are skipped, and the first address that is not a trusted proxy is the client.
A malformed or obfuscated entry (``unknown``, ``_hidden``, garbage) ends the walk at the last
address known to be real. Exactly one header is read (``TRUSTED_PROXY_HEADER``): a proxy that
writes one of them passes the other through untouched, so reading both would let a client
choose.

Granian ships ``wrap_asgi_with_proxy_headers`` (``granian.utils.proxies``); it reads only
``X-Forwarded-For``, takes any non-address entry as the client's address (so a spoofed
``X-Forwarded-For: anything`` behind a proxy that passes it through becomes a key), and parses
the peer's address on every request. This module is its small, stricter counterpart: with no
trusted networks (the default) it returns the peer's address as it came, and a peer's trust is
decided once and remembered in a bounded map.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any, Literal

__all__ = ["ClientAddresses", "ProxyHeader", "parse_networks"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
ProxyHeader = Literal["x-forwarded-for", "forwarded"]

#: Peers whose trust is remembered; beyond it the map starts over (it only saves a parse).
_PEER_CACHE_SIZE = 4096


def parse_networks(text: str) -> tuple[Network, ...]:
    """``TRUSTED_PROXIES``: comma-separated networks (``10.0.0.0/8, fd00::/8``) or addresses.

    Raises ValueError naming the first entry that is not a network (for the settings check).
    """
    networks = []
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=True))
        except ValueError as exc:
            msg = f"{entry!r} is not an IP network in CIDR form ({exc})"
            raise ValueError(msg) from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    """An address as proxies write it: ``1.2.3.4``, ``1.2.3.4:80``, ``2001:db8::1``, ``[2001:db8::1]:80``."""
    text = text.strip()
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        text = text[1:-1]
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or (end + 1 < len(text) and text[end + 1] != ":"):
            return None
        text = text[1:end]
    elif text.count(":") == 1:  # IPv4 with a port
        text = text.split(":", 1)[0]
    if "%" in text:  # a zone index names an interface of the proxy, not a client
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _forwarded_for(values: Iterable[str]) -> list[str | None]:
    """The ``for=`` of each element of RFC 7239 ``Forwarded`` values; None for an element without one
    or with a malformed one."""
    hops: list[str | None] = []
    for value in values:
        for element in value.split(","):
            found: str | None = None
            for pair in element.split(";"):
                name, sep, raw = pair.partition("=")
                if sep and name.strip().lower() == "for":
                    found = raw.strip()
            hops.append(found)
    return hops


class ClientAddresses:
    """Resolves a request's client address for the rate limiters (one per worker, in the Runtime)."""

    __slots__ = ("_header", "_networks", "_peers")

    def __init__(self, networks: Sequence[Network], header: ProxyHeader = "x-forwarded-for") -> None:
        self._networks = tuple(networks)
        self._header = header.encode("latin-1")
        self._peers: dict[str, bool] = {}

    def of(self, scope: Any) -> str:
        """The client's address as a string (the peer's own text when no proxy is trusted)."""
        client = scope.get("client")
        peer = str(client[0]) if client else "-"
        if not self._networks or not self._trusted_peer(peer):
            return peer
        return self._forwarded(scope["headers"], peer)

    def _trusted_peer(self, peer: str) -> bool:
        trusted = self._peers.get(peer)
        if trusted is None:
            address = _address(peer)
            trusted = address is not None and self._trusts(address)
            if len(self._peers) >= _PEER_CACHE_SIZE:
                self._peers.clear()
            self._peers[peer] = trusted
        return trusted

    def _trusts(self, address: Address) -> bool:
        return any(address in network for network in self._networks)

    def _forwarded(self, headers: Iterable[tuple[bytes, bytes]], peer: str) -> str:
        """Walk the forwarded hops from the right; the first one that is not a trusted proxy is the client."""
        values = [value.decode("latin-1") for name, value in headers if name == self._header]
        if not values:
            return peer
        if self._header == b"forwarded":
            hops = _forwarded_for(values)
        else:
            hops = [hop for value in values for hop in value.split(",")]
        client = str(_address(peer) or peer)
        for hop in reversed(hops):
            address = _address(hop) if hop is not None else None
            if address is None:
                return client  # nothing left of a malformed entry can be believed
            client = str(address)
            if not self._trusts(address):
                return client
        return client  # every hop is a trusted proxy: the left-most is the client
