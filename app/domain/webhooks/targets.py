"""The SSRF rule: where a webhook may be sent.

A URL must be http or https with a host. Every address its host resolves to must be public:
loopback, private (RFC 1918, and IPv6 unique-local), link-local, multicast, unspecified and
other reserved addresses are refused, unless the operator's allow-list
(``ROSTER_WEBHOOK_ALLOWED_TARGETS``: host names, addresses or CIDR ranges) permits the host or
the address. The rule runs when an endpoint is saved and again before each send, against the
addresses the sender then connects to (a name that later resolves elsewhere is caught).
Refusals are InvalidValue naming the URL.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from app.errors import InvalidValue

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_URL = 2048


@dataclass(frozen=True, slots=True)
class AllowList:
    """The operator's exceptions: host names (lower case) and networks."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str) -> AllowList:
        """From the comma-separated setting; an entry that is not an address or a CIDR range
        is a host name."""
        hosts, networks = set(), []
        for raw in text.split(","):
            entry = raw.strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def permits(self, address: IPAddress) -> bool:
        """The address falls in an allowed network."""
        return any(address in network for network in self.networks)


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL: its parts, and the addresses to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def _refuse(url: str, why: str) -> InvalidValue:
    return InvalidValue(f"url: {url[:200]!r} {why}", ["url"])


def parse_url(url: str) -> SplitResult:
    """The URL's parts; InvalidValue unless it is http(s) with a host and no credentials."""
    if len(url) > MAX_URL:
        raise _refuse(url, f"is longer than {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise _refuse(url, "is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise _refuse(url, "must use http or https")
    if not parts.hostname:
        raise _refuse(url, "has no host")
    if parts.username is not None or parts.password is not None:
        raise _refuse(url, "must not carry credentials")
    return parts


def is_public(address: IPAddress) -> bool:
    """Not loopback, private, link-local, unique-local, multicast, unspecified or reserved
    (an IPv4-mapped IPv6 address is judged as the IPv4 address it carries)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or not address.is_global
    )


async def resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    """Every address ``host`` resolves to (an address literal resolves to itself)."""
    try:
        return (ipaddress.ip_address(host),)
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return tuple(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in found))


async def check_target(url: str, allowed: AllowList) -> Target:
    """The URL checked against the rule, with the addresses it resolves to now; raises
    InvalidValue naming the URL."""
    parts = parse_url(url)
    host = (parts.hostname or "").rstrip(".").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = await resolve(host, port)
    except OSError as exc:
        raise _refuse(url, f"does not resolve ({exc.strerror or exc})") from None
    if not addresses:
        raise _refuse(url, "does not resolve")
    if host not in allowed.hosts:
        for address in addresses:
            if not is_public(address) and not allowed.permits(address):
                raise _refuse(
                    url,
                    f"resolves to {address}, a loopback, private, link-local or otherwise"
                    " non-public address (allow it with ROSTER_WEBHOOK_ALLOWED_TARGETS)",
                )
    return Target(url, parts.scheme, host, port, addresses)
