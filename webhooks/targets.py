"""SSRF guard for webhook URLs.

Checked when a webhook is saved (a clear form error) and again on every connection by
requests-hardened's IP filter, because DNS can change between the two.
`WEBHOOKS_ALLOW_PRIVATE_TARGETS=1` lifts both checks for local testing.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

__all__ = ["is_public_address", "validate_target_url"]


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def validate_target_url(url: str) -> None:
    """Raise ValidationError if `url` is not http(s) or resolves to a non-public address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": "Use an http:// or https:// URL with a host name."})
    if settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise ValidationError({"url": f"Cannot resolve host {parts.hostname!r}."}) from None
    for info in infos:
        address = info[4][0]
        if not is_public_address(address):
            raise ValidationError(
                {
                    "url": f"{parts.hostname} resolves to {address}, a private, loopback, "
                    "link-local or multicast address. Such targets are refused unless "
                    "WEBHOOKS_ALLOW_PRIVATE_TARGETS=1."
                }
            )
