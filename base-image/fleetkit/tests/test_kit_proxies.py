"""Client addresses from trusted proxies only: spoofing, chains, malformed headers, IPv6, settings."""

from __future__ import annotations

import pytest

from fleetkit.proxies import ClientAddresses, parse_networks
from fleetkit.settings import KitSettings, SettingsError, load_settings

PROXIES = parse_networks("10.0.0.0/8, fd00::/8, 192.0.2.7/32")


def scope(peer: str | None, *headers: tuple[str, str]) -> dict[str, object]:
    return {
        "client": (peer, 5000) if peer is not None else None,
        "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers],
    }


def xff(value: str) -> tuple[str, str]:
    return ("X-Forwarded-For", value)


@pytest.fixture
def clients() -> ClientAddresses:
    return ClientAddresses(PROXIES)


def test_with_no_trusted_proxies_the_peer_is_the_client_whatever_the_headers_say():
    default = ClientAddresses(parse_networks(""))
    assert default.of(scope("10.1.2.3", xff("203.0.113.9"), ("Forwarded", "for=203.0.113.9"))) == "10.1.2.3"


def test_an_untrusted_peer_cannot_spoof_its_address(clients):
    assert clients.of(scope("198.51.100.1", xff("203.0.113.9"))) == "198.51.100.1"
    assert clients.of(scope("198.51.100.1", xff("10.0.0.1"))) == "198.51.100.1"


def test_a_trusted_peer_gives_the_address_it_appended(clients):
    assert clients.of(scope("10.0.0.5", xff("203.0.113.9"))) == "203.0.113.9"


def test_a_client_written_prefix_is_ignored_the_right_most_untrusted_hop_wins(clients):
    # the client sent "X-Forwarded-For: 1.1.1.1, 10.9.9.9"; the ingress appended the real peer
    header = xff("1.1.1.1, 10.9.9.9, 203.0.113.9")
    assert clients.of(scope("10.0.0.5", header)) == "203.0.113.9"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(clients):
    header = xff("203.0.113.9, 10.0.0.7, 192.0.2.7")
    assert clients.of(scope("10.0.0.5", header)) == "203.0.113.9"


def test_several_header_lines_are_one_list_in_order(clients):
    assert clients.of(scope("10.0.0.5", xff("1.1.1.1"), xff("203.0.113.9, 10.0.0.6"))) == "203.0.113.9"


def test_when_every_hop_is_trusted_the_left_most_is_the_client(clients):
    assert clients.of(scope("10.0.0.5", xff("10.3.3.3, 10.0.0.6"))) == "10.3.3.3"


def test_a_trusted_peer_with_no_forwarded_header_is_the_client(clients):
    assert clients.of(scope("10.0.0.5")) == "10.0.0.5"
    assert clients.of(scope("10.0.0.5", xff(""))) == "10.0.0.5"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("unknown", "10.0.0.5"),
        ("garbage, 203.0.113.9", "203.0.113.9"),
        ("203.0.113.9, garbage", "10.0.0.5"),
        ("203.0.113.9, 10.0.0.6, not-an-ip", "10.0.0.5"),
        ("203.0.113.9, , 10.0.0.6", "10.0.0.6"),
        ("203.0.113.9,", "10.0.0.5"),
        ("999.1.1.1", "10.0.0.5"),
        ("203.0.113.9%eth0", "10.0.0.5"),
        ("fe80::1%eth0", "10.0.0.5"),
        ("[2001:db8::1", "10.0.0.5"),
        ("[2001:db8::1]x", "10.0.0.5"),
        ("\x00\xff", "10.0.0.5"),
    ],
)
def test_a_malformed_entry_ends_the_walk_at_the_last_real_address(clients, header, expected):
    assert clients.of(scope("10.0.0.5", xff(header))) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2001:db8::1", "2001:db8::1"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("203.0.113.9:51234", "203.0.113.9"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("2001:db8::1, fd00::5", "2001:db8::1"),
    ],
)
def test_ipv6_and_ports_are_normalised(clients, header, expected):
    assert clients.of(scope("fd00::1", xff(header))) == expected


def test_an_ipv4_mapped_peer_is_matched_against_ipv4_networks(clients):
    assert clients.of(scope("::ffff:10.0.0.5", xff("203.0.113.9"))) == "203.0.113.9"


def test_only_the_configured_header_is_read():
    """A proxy that writes X-Forwarded-For passes a client's Forwarded through untouched, and back."""
    by_xff = ClientAddresses(PROXIES, "x-forwarded-for")
    by_forwarded = ClientAddresses(PROXIES, "forwarded")
    request = scope("10.0.0.5", ("Forwarded", "for=1.1.1.1"), xff("203.0.113.9"))
    assert by_xff.of(request) == "203.0.113.9"
    assert by_forwarded.of(request) == "1.1.1.1"
    assert by_forwarded.of(scope("10.0.0.5", xff("203.0.113.9"))) == "10.0.0.5"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("for=203.0.113.9", "203.0.113.9"),
        ('for="[2001:db8::1]:4711"', "2001:db8::1"),
        ("for=198.51.100.1, for=203.0.113.9;proto=https;by=10.0.0.5", "203.0.113.9"),
        ("For=203.0.113.9", "203.0.113.9"),
        ("proto=https;for=203.0.113.9, for=10.0.0.7", "203.0.113.9"),
        ("for=unknown", "10.0.0.5"),
        ('for="_hidden"', "10.0.0.5"),
        ("proto=https", "10.0.0.5"),
        ("for=203.0.113.9, by=10.0.0.7", "10.0.0.5"),
    ],
)
def test_forwarded_is_walked_the_same_way(header, expected):
    clients = ClientAddresses(PROXIES, "forwarded")
    assert clients.of(scope("10.0.0.5", ("Forwarded", header))) == expected


def test_a_scope_without_a_client_is_keyed_as_unknown(clients):
    assert clients.of(scope(None, xff("203.0.113.9"))) == "-"


def test_the_peer_trust_map_stays_bounded(clients):
    for i in range(10_000):
        clients.of(scope(f"198.51.{i // 256 % 256}.{i % 256}"))
    assert len(clients._peers) <= 4096


def test_trusted_proxies_is_validated_at_start_and_named():
    base = {"SERVICE_NAME": "x", "DATABASE_URL": "postgresql://u@db/app"}
    assert load_settings(KitSettings, {**base, "TRUSTED_PROXIES": "10.0.0.0/8,fd00::/8"}).trusted_proxies
    for bad in ("10.0.0.1/8", "10.0.0.0/33", "1.2.3", "::1/129"):
        with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
            load_settings(KitSettings, {**base, "TRUSTED_PROXIES": bad})
    with pytest.raises(SettingsError, match="TRUSTED_PROXY_HEADER"):
        load_settings(KitSettings, {**base, "TRUSTED_PROXY_HEADER": "x-real-ip"})
