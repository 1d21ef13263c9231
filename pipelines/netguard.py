"""SSRF guard: refuse hosts that are, or resolve to, loopback/private/link-local/reserved addresses."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddressError(Exception):
    """The host is or resolves to an address the fetcher must not connect to."""


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in an IPv4-mapped (::ffff:a.b.c.d) or 6to4 IPv6 address, if any."""
    if isinstance(address, ipaddress.IPv6Address):
        return address.ipv4_mapped or address.sixtofour
    return None


def why_blocked(address: IPAddress) -> str | None:
    """The category that makes `address` off-limits ("loopback", "private", ...), or None if public."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        inner = why_blocked(embedded)
        return f"IPv4-embedded {inner}" if inner else None
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-global", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def _literal(host: str) -> list[IPAddress]:
    """[the address] when `host` is a standard IP literal (brackets allowed), else []."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        return []


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (a literal resolves to itself; decimal/octal forms included).

    Raises socket.gaierror when the name does not resolve.
    """
    literal = _literal(host)
    if literal:
        return literal
    infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def vetted_addresses(host: str, port: int, allow_private: bool) -> list[IPAddress]:
    """Every address of `host`, resolved once; BlockedAddressError if *any* of them is off-limits.

    The caller connects only to these addresses (never resolving the name again), so a DNS answer
    that changes between the check and the connection cannot steer it elsewhere. With
    `allow_private` the addresses are returned unchecked. Names are resolved with getaddrinfo, so
    `2130706433`, `0177.0.0.1` or a DNS name pointing at 10.0.0.1 are caught like the literal they
    stand for. Raises socket.gaierror when the host does not resolve.
    """
    addresses = resolve_host(host, port)
    if allow_private:
        return addresses
    for address in addresses:
        category = why_blocked(address)
        if category:
            source = "" if [address] == _literal(host) else f" (resolved from {host!r})"
            raise BlockedAddressError(f"{address}{source} is blocked: {category} address")
    return addresses


def parse_host_ports(text: str, what: str = "--allowed_private_hosts") -> frozenset[tuple[str, int]]:
    """The (host, port) pairs of a comma-separated `host:port` list (IPv6 in brackets), hosts lowercased.

    Raises ValueError naming `what` and the entry when an entry is not exactly `host:port`.
    """
    pairs: set[tuple[str, int]] = set()
    for entry in filter(None, (piece.strip() for piece in text.split(","))):
        problem = f"{what}: {entry!r} is not host:port (e.g. 127.0.0.1:8080 or [::1]:8080)"
        try:
            parts = urlsplit(f"//{entry}")
            host = (parts.hostname or "").encode("idna").decode("ascii")
            port = parts.port
        except (ValueError, UnicodeError) as error:
            raise ValueError(problem) from error
        if not host or port is None or parts.path or parts.query or parts.username:
            raise ValueError(problem)
        pairs.add((host, port))
    return frozenset(pairs)
