"""The one rule for outgoing targets: which addresses and ports the hub may connect to.

Webhook URLs and stream URLs are chosen by operators, so without a rule anyone who can
save a URL could make the hub reach its own loopback, its LAN or a cloud metadata service.
A target is allowed when it is:

- an `http` or `https` URL with a host and a port in 1-65535;
- on a globally routable unicast address: Python's `is_global`, not multicast, and not
  in `NOT_GLOBAL_NETWORKS` (ranges that older Pythons call global);
- judged by the IPv4 address it carries when it is an IPv6 form that carries one:
  IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`, which also covers `::`
  and `::1`), 6to4 (`2002:aabb:ccdd::/48`) and NAT64 (`64:ff9b::/96`). The local-use
  NAT64 prefix `64:ff9b:1::/48` is refused outright: it only reaches a local translator.

The rule is applied when a URL is saved, to every address its host resolves to, and again
on every connection, to the address actually connected to (`resolve_target`), because DNS
can answer differently between the two. Nothing here reads settings: callers decide when
private targets are allowed (WEBHOOKS_ALLOW_PRIVATE_TARGETS,
STREAM_MONITOR_ALLOW_PRIVATE_TARGETS). docs/security.md states the rule for operators.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

__all__ = [
    "NOT_GLOBAL_NETWORKS",
    "RefusedTarget",
    "address_refusal",
    "embedded_ipv4",
    "resolve_target",
    "url_target",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}

NOT_GLOBAL_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "100.64.0.0/10",  # carrier-grade NAT: reaches the provider's internal hosts
        "192.0.0.0/24",  # IETF protocol assignments (older Pythons call most of it global)
        "192.88.99.0/24",  # 6to4 relay anycast, deprecated
        "198.18.0.0/15",  # benchmarking
        "2001:20::/28",  # ORCHIDv2 overlay identifiers, not routable
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing identifiers
    )
)

_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


class RefusedTarget(ValueError):
    """A URL or address the hub may not connect to; the message says why."""


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (IPv4-mapped, IPv4-compatible, 6to4 or
    NAT64 well-known prefix), or None."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _IPV4_COMPATIBLE or address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _kind(address: IPAddress) -> str:
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    return "not a globally routable address"


def _is_allowed(address: IPAddress) -> bool:
    return (
        address.is_global
        and not address.is_multicast
        and not any(address in network for network in NOT_GLOBAL_NETWORKS)
    )


def _refusal(ip: IPAddress) -> str | None:
    """What is wrong with `ip`, as a phrase following the address ("is a loopback
    address"), or None when it is allowed."""
    if isinstance(ip, ipaddress.IPv6Address) and not (ip.is_loopback or ip.is_unspecified):
        if ip in _LOCAL_NAT64:
            return f"is in the local-use NAT64 prefix {_LOCAL_NAT64}"
        carried = embedded_ipv4(ip)
        if carried is not None:
            return None if _is_allowed(carried) else f"carries {carried}, {_kind(carried)}"
    return None if _is_allowed(ip) else f"is {_kind(ip)}"


def address_refusal(address: str | IPAddress) -> str | None:
    """Why the hub may not connect to `address`, or None when it may (see the module's
    rule), e.g. "::127.0.0.1 carries 127.0.0.1, a loopback address". Pure: no DNS, no
    settings. Raises ValueError if `address` is not an IP address."""
    phrase = _refusal(ipaddress.ip_address(address))
    return None if phrase is None else f"{address} {phrase}"


def url_target(url: str) -> tuple[str, int]:
    """The host and port an http(s) `url` connects to. Raises RefusedTarget for another
    scheme, a URL without a host, or a port outside 1-65535. Pure."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise RefusedTarget("Use an http:// or https:// URL with a host name.")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is None:
        return parts.hostname, DEFAULT_PORTS[parts.scheme]
    if not 1 <= port <= 65535:
        raise RefusedTarget("The port must be a number from 1 to 65535.")
    return parts.hostname, port


def resolve_target(host: str, port: int) -> str:
    """Resolve `host` and return the address to connect to: the first one DNS gives.
    Raises RefusedTarget when any address the name resolves to is refused (a name that
    also points inward is refused as a whole), and OSError (socket.gaierror) when it does
    not resolve. Connect to the returned address itself, never to `host` again, so a
    second DNS answer cannot differ from the one checked."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        phrase = _refusal(ipaddress.ip_address(address))
        if phrase is not None:
            named = host if _is_address(host) else f"{host} resolves to {address}, which"
            raise RefusedTarget(f"{named} {phrase}")
    return addresses[0]


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
