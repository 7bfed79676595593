"""Failed API-key attempts, limited per client address.

A request that presents a key (the `api-key` header, `Authorization: Bearer`, or the
Icecast endpoint's Basic auth) that is unknown, revoked or malformed counts as a failure
for its client address. After API_KEY_FAILURE_LIMIT failures within a window of
API_KEY_FAILURE_WINDOW_S, every request from that address that presents a key is answered
429 with `Retry-After` until the window ends, and its key is not even looked up: guessing
stops there. Other addresses are not affected, and a valid key never counts.

The client address is REMOTE_ADDR, or, behind NUM_PROXIES trusted reverse proxies, the
X-Forwarded-For entry that many from the end (DRF's rule, so a client cannot pick its
own). IPv6 addresses count per /64, the block one host usually holds. Counts live in the
"throttle" cache in fixed windows: per web process by default, shared by all of them
with REDIS_URL.
"""

import ipaddress
import logging
import math
import time

from django.conf import settings
from django.core.cache import caches
from django.utils.connection import ConnectionProxy
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from stations.api_keys import api_key_authenticate
from stations.models import ApiKey

__all__ = ["api_key_attempt", "client_address"]

logger = logging.getLogger("stationhooks.api")

_cache = ConnectionProxy(caches, "throttle")
_CACHE_PREFIX = "api-key-failures"


def client_address(request) -> str:
    """Who is asking, for counting: the client's IPv4 address or IPv6 /64."""
    ident = BaseThrottle().get_ident(request) or ""
    try:
        address = ipaddress.ip_address(ident)
    except ValueError:
        return ident[:64]
    if address.version == 6:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _window(now: float) -> tuple[str, float]:
    """The current window's cache-key suffix and the seconds left in it."""
    window_s = settings.API_KEY_FAILURE_WINDOW_S
    index = int(now // window_s)
    return str(index), (index + 1) * window_s - now


def api_key_attempt(request, raw_key: str) -> ApiKey | None:
    """The active key `raw_key` is, or None (counted as a failure of the request's
    client address). Raises Throttled (429, Retry-After) without looking the key up when
    that address has used up its failures for the current window."""
    address = client_address(request)
    index, remaining_s = _window(time.time())
    cache_key = f"{_CACHE_PREFIX}:{address}:{index}"
    if (_cache.get(cache_key) or 0) >= settings.API_KEY_FAILURE_LIMIT:
        raise Throttled(
            wait=math.ceil(remaining_s),
            detail="Too many failed API-key attempts from your address.",
        )
    api_key = api_key_authenticate(raw_key)
    if api_key is None:
        timeout_s = math.ceil(remaining_s) + 1
        _cache.add(cache_key, 0, timeout=timeout_s)
        try:
            failures = _cache.incr(cache_key)
        except ValueError:  # evicted or expired since add()
            failures = 1
            _cache.set(cache_key, failures, timeout=timeout_s)
        if failures == settings.API_KEY_FAILURE_LIMIT:
            logger.warning("API-key failures from %s reached the limit; blocked", address)
    return api_key
