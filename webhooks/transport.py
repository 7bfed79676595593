"""One webhook request on the wire: build it, send it, read the answer. No ORM, no Django.

The engine runs every send of a worker process on one asyncio event loop (aiohttp), so
hundreds of slow receivers can be waited on at once without a thread each, and a receiver
that answers at once costs the least CPU per request (docs/delivery-engine.md has the
measurements). `send_now` runs a single send to completion for a caller without a loop
(the admin's test event).

Guarantees of every attempt:
- it ends within `request_timeout_s` in all (connecting within `connect_timeout_s`),
  however slowly the receiver trickles its status line, headers or body;
- at most RESPONSE_READ_LIMIT_BYTES of the answer are read, and no redirect is followed;
- no cookie, ~/.netrc credential or proxy authorisation of ours is sent;
- unless private targets are allowed, every address it connects to is checked with the
  SSRF rule (`address_problem`) after DNS resolution, so a name that resolves to a
  private address at send time (DNS rebinding) is refused like a private URL.
"""

import asyncio
import logging
import os
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp
import certifi
from aiohttp.abc import ResolveResult
from requests.utils import get_environ_proxies

from webhooks import custom_headers
from webhooks.policy import ErrorKind
from webhooks.signing import build_request_headers, mask_secret

if TYPE_CHECKING:
    from webhooks.formats.base import RenderedRequest

__all__ = [
    "RESPONSE_BODY_LOG_BYTES",
    "RESPONSE_READ_LIMIT_BYTES",
    "AttemptResult",
    "OutgoingRequest",
    "RefusedAddress",
    "Transport",
    "TransportConfig",
    "proxy_for",
    "request_headers",
    "send_now",
]

logger = logging.getLogger("stationhooks.engine")

RESPONSE_BODY_LOG_BYTES = 4096
RESPONSE_READ_LIMIT_BYTES = 64 * 1024
# What a plain HTTP client sends besides our headers; receivers may expect them.
DEFAULT_HEADERS = {"Accept": "*/*", "Accept-Encoding": "gzip, deflate"}
# On every request of a test event, so a receiver can tell it from a real one.
TEST_HEADERS = {"webhook-test": "true"}


@dataclass(frozen=True)
class OutgoingRequest:
    """Everything one attempt needs, detached from the ORM. `formatted` is the request
    the webhook's format made of the event (webhooks.formats); None sends `body` to `url`
    as the native format does: POSTed, signed. `custom_headers`: the webhook's own
    (webhooks.custom_headers), under ours; `is_test`: a test event's."""

    delivery_id: int
    url: str
    body: bytes
    message_id: str
    secret: str
    key: str
    previous_secret: str = ""
    formatted: "RenderedRequest | None" = None
    custom_headers: tuple[tuple[str, str], ...] = ()
    is_test: bool = False


@dataclass
class AttemptResult:
    """What happened to one attempt. `attempted` is False for a send that never started
    (the engine released it); then nothing else is set."""

    delivery_id: int
    started_at: datetime
    duration_ms: int = 0
    request_headers: dict = field(default_factory=dict)
    status_code: int | None = None
    response_headers: dict = field(default_factory=dict)
    response_body: str = ""
    error: str = ""
    error_kind: ErrorKind | None = None
    attempted: bool = True
    request: dict | None = None  # the formatted request as shown (webhooks.formats)

    @property
    def answered_at(self) -> datetime:
        return self.started_at + timedelta(milliseconds=self.duration_ms)


@dataclass(frozen=True)
class TransportConfig:
    connect_timeout_s: float
    request_timeout_s: float
    user_agent: str
    # None allows every address; otherwise the SSRF rule: a function of an IP address
    # that says why it is refused, or None when it may be connected to.
    address_problem: Callable[[str], str | None] | None = None


def _merged(*layers: dict[str, str]) -> dict[str, str]:
    """The layers' headers, a later layer's winning over an earlier one's of the same
    name whatever its case."""
    merged: dict[str, str] = {}
    for layer in layers:
        for name, value in layer.items():
            for old in [k for k in merged if k.lower() == name.lower()]:
                del merged[old]
            merged[name] = value
    return merged


def request_headers(
    request: OutgoingRequest, *, timestamp: int, user_agent: str
) -> tuple[dict[str, str], dict[str, str]]:
    """The headers of one attempt, and the same as the log shows them (secrets masked).
    The webhook's own headers first; over them ours (webhook-id, signatures, api-key)
    unless the format says otherwise, then the format's own; a test event's last."""
    formatted = request.formatted
    if formatted is None or formatted.signed:
        headers = build_request_headers(
            body=request.body if formatted is None else formatted.body,
            message_id=request.message_id,
            timestamp=timestamp,
            secret=request.secret,
            key=request.key,
            user_agent=user_agent,
            previous_secret=request.previous_secret,
        )
        logged = {**headers, "api-key": mask_secret(request.key)} if request.key else headers
    else:
        headers = logged = {"User-Agent": user_agent}
    formats_own = formatted.headers if formatted is not None else {}
    formats_shown = formatted.masked_headers() if formatted is not None else {}
    test = TEST_HEADERS if request.is_test else {}
    own = list(request.custom_headers)
    return (
        _merged(dict(own), headers, formats_own, test),
        _merged(custom_headers.masked(own), logged, formats_shown, test),
    )


class RefusedAddress(OSError):
    """An address the SSRF rule refuses; never connected to."""


def _check(address_problem: Callable[[str], str | None], host: str, address: str) -> None:
    problem = address_problem(address)
    if problem:
        raise RefusedAddress(problem if host == address else f"{host}: {problem}")


class _GuardedResolver(aiohttp.ThreadedResolver):
    """Resolves like the default resolver, then refuses the name when an address it
    resolves to is refused by the rule (as a save-time check does), so the error names the
    address."""

    def __init__(self, address_problem: Callable[[str], str | None]) -> None:
        super().__init__()
        self._address_problem = address_problem

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        resolved = await super().resolve(host, port, family)
        for result in resolved:
            _check(self._address_problem, host, result["host"])
        return resolved


@lru_cache(maxsize=4096)
def proxy_for(url: str) -> str | None:
    """The environment's proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY) for a receiver's
    `scheme://host:port`, or None when NO_PROXY exempts it; looked up once per origin."""
    target = urlsplit(url)
    proxies = get_environ_proxies(f"{target.scheme}://{target.netloc}")
    return proxies.get(target.scheme) or proxies.get("all")


def _ssl_context() -> ssl.SSLContext:
    """Verified TLS against REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE when set, else the CA
    bundle requests uses (certifi), as before."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return ssl.create_default_context(cafile=bundle or certifi.where())


class Transport:
    """The keep-alive connections of one event loop; create and use it inside the loop."""

    def __init__(self, config: TransportConfig) -> None:
        self.config = config
        guard = config.address_problem

        def guarded_socket(addr_info) -> socket.socket:
            family, type_, proto, _, sockaddr = addr_info
            if guard:
                _check(guard, sockaddr[0], sockaddr[0])
            return socket.socket(family=family, type=type_, proto=proto)

        def session(*, guarded: bool) -> aiohttp.ClientSession:
            connector = aiohttp.TCPConnector(
                limit=0,
                ssl=_ssl_context(),
                resolver=_GuardedResolver(guard) if guard and guarded else None,
                socket_factory=guarded_socket if guarded else None,
                enable_cleanup_closed=True,
            )
            return aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None),
            )

        self._direct = session(guarded=True)
        # Through a proxy the socket goes to the proxy (the operator's choice, often on a
        # private address); the receiver's own name is checked before sending instead.
        self._proxied = session(guarded=False)
        self._proxy_resolver = _GuardedResolver(guard) if guard else None

    async def close(self) -> None:
        await self._direct.close()
        await self._proxied.close()

    async def send(self, request: OutgoingRequest) -> AttemptResult:
        """Send one delivery (POST, or the format's method); never raises (but for
        cancellation). A formatted request with a problem is not sent: it fails."""
        config = self.config
        started_at = datetime.now(UTC)
        clock = time.monotonic()
        headers, logged = request_headers(
            request, timestamp=int(started_at.timestamp()), user_agent=config.user_agent
        )
        result = AttemptResult(request.delivery_id, started_at, request_headers=logged)
        method, url, body = "POST", request.url, request.body
        formatted = request.formatted
        if formatted is not None:
            if formatted.problem:
                result.error = formatted.mask(formatted.problem)
                result.error_kind, result.request_headers = ErrorKind.UNSENDABLE, {}
                return result
            method, url, body = formatted.method, formatted.url, formatted.body
            result.request = formatted.shown()
        total_s = config.request_timeout_s
        proxy = proxy_for(url)
        try:
            async with asyncio.timeout(total_s):
                if proxy and self._proxy_resolver:
                    target = urlsplit(url)
                    await self._proxy_resolver.resolve(target.hostname, target.port or 0)
                session = self._proxied if proxy else self._direct
                async with session.request(
                    method,
                    url,
                    data=body if method != "GET" else None,
                    headers={**DEFAULT_HEADERS, **headers},
                    allow_redirects=False,
                    proxy=proxy,
                    timeout=aiohttp.ClientTimeout(
                        total=None, sock_connect=min(config.connect_timeout_s, total_s)
                    ),
                ) as response:
                    result.status_code = response.status
                    result.response_headers = dict(response.headers)
                    body = await _read_body(response)
            result.response_body = body[:RESPONSE_BODY_LOG_BYTES].decode("utf-8", errors="replace")
        except TimeoutError:
            result.error = f"Timeout: no complete answer within {total_s:g} s"
            result.error_kind = ErrorKind.TIMEOUT
        except RefusedAddress as exc:
            result.error, result.error_kind = f"Refused target: {exc}", ErrorKind.REFUSED_TARGET
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, RefusedAddress):
                result.error = f"Refused target: {exc.os_error}"
                result.error_kind = ErrorKind.REFUSED_TARGET
            else:
                result.error = f"Connection error: {exc.os_error or exc}"
                result.error_kind = ErrorKind.CONNECTION
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            result.error = f"Connection error: {exc or type(exc).__name__}"
            result.error_kind = ErrorKind.CONNECTION
        except aiohttp.ClientResponseError as exc:  # an answer that is not HTTP
            result.error = f"Connection error: unreadable answer ({exc.message})"
            result.error_kind = ErrorKind.CONNECTION
        except OSError as exc:  # what aiohttp lets through unwrapped (a reset, mostly)
            result.error = f"Connection error: {exc or type(exc).__name__}"
            result.error_kind = ErrorKind.CONNECTION
        except (aiohttp.ClientError, ValueError) as exc:
            result.error = f"Request error: {exc}"
        except Exception as exc:
            logger.exception("Unexpected error sending delivery %s", request.delivery_id)
            result.error = f"Request error: {type(exc).__name__}: {exc}"
        if result.error:
            result.status_code = None
            if formatted is not None:  # an error may quote the URL, with a token in it
                result.error = formatted.mask(result.error)
        result.duration_ms = int((time.monotonic() - clock) * 1000)
        return result


async def _read_body(response: aiohttp.ClientResponse) -> bytes:
    """The first RESPONSE_READ_LIMIT_BYTES of the answer (raw, as sent)."""
    body = bytearray()
    while len(body) < RESPONSE_READ_LIMIT_BYTES:
        chunk = await response.content.read(RESPONSE_READ_LIMIT_BYTES - len(body))
        if not chunk:
            break
        body += chunk
    return bytes(body)


def send_now(request: OutgoingRequest, config: TransportConfig) -> AttemptResult:
    """One send, run to completion on a loop of its own: for callers outside the engine.
    Takes at most the config's request timeout (plus closing the connection)."""

    async def send_once() -> AttemptResult:
        transport = Transport(config)
        try:
            return await transport.send(request)
        finally:
            await transport.close()

    return asyncio.run(send_once())
