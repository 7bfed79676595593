"""Open a stream the way a listener's player does, for the stream monitor.

`GET` the listening URL (following at most one redirect), accept only `200`, and hand
back the body as a file-like whose reads stop at a deadline, so a live stream (which
never ends) can be probed and sampled in bounded time. Anything else raises StreamDown
with a reason an operator can act on.

SHOUTcast 1 servers answer `ICY 200 OK` instead of `HTTP/1.0 200 OK`. Python's
http.client (under urllib3 and requests) rejects that status line with BadStatusLine, so
the monitor's connections use a response class that reads it as HTTP/1.0: headers as
usual, the body until the server closes the connection.

Stream URLs are outgoing targets like webhook URLs and follow the same rule
(`guards.targets`, checked on every connection, the redirect's included) unless
STREAM_MONITOR_ALLOW_PRIVATE_TARGETS=1.
"""

import http.client
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error

from guards.target_adapter import PublicTargetAdapter, TargetRefusedError

__all__ = ["Listening", "StreamBody", "StreamDown", "listen"]

READ_CHUNK_BYTES = 16 * 1024
MAX_SAMPLE_BYTES = 8 * 1024 * 1024  # 15 s of a 320 kbps stream is 600 KB


class StreamDown(Exception):
    """The stream is not listenable; `reason` says why, for the check log and alerts."""

    def __init__(self, reason: str, latency_ms: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.latency_ms = latency_ms


class IcyTolerantResponse(http.client.HTTPResponse):
    """Reads a SHOUTcast 1 `ICY 200 OK` status line as `HTTP/1.0 200 OK`."""

    def _read_status(self):
        line = str(self.fp.readline(http.client._MAXLINE + 1), "iso-8859-1")
        if len(line) > http.client._MAXLINE:
            raise http.client.LineTooLong("status line")
        if not line:
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        if line.startswith("ICY "):
            line = "HTTP/1.0 " + line[4:]
        version, _, rest = line.partition(" ")
        status, _, reason = rest.strip().partition(" ")
        if not version.startswith("HTTP/") or not (status.isdigit() and len(status) == 3):
            self._close_conn()
            raise http.client.BadStatusLine(line)
        return version, int(status), reason


class _IcyHTTPConnection(HTTPConnection):
    response_class = IcyTolerantResponse


class _IcyHTTPSConnection(HTTPSConnection):
    response_class = IcyTolerantResponse


class _IcyHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _IcyHTTPConnection


class _IcyHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _IcyHTTPSConnection


class _IcyPoolsMixin:
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _IcyHTTPConnectionPool,
            "https": _IcyHTTPSConnectionPool,
        }


class _IcyAdapter(_IcyPoolsMixin, HTTPAdapter):
    pass


class _GuardedIcyAdapter(_IcyPoolsMixin, PublicTargetAdapter):
    pass


def _session(*, allow_private: bool) -> requests.Session:
    session = requests.Session()
    for scheme in ("http://", "https://"):
        session.mount(scheme, _IcyAdapter() if allow_private else _GuardedIcyAdapter())
    return session


def _headers() -> dict[str, str]:
    """A plain player's request: no `Icy-MetaData: 1`, so the body is audio only."""
    return {
        "User-Agent": f"StationHooks/{settings.STATIONHOOKS_VERSION} (stream monitor)",
        "Accept": "*/*",
    }


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


def _short_error(exc: Exception) -> str:
    """`Connection refused` rather than requests' three nested exception reprs."""
    text = str(exc)
    match = _ERRNO.search(text)
    return match.group(1).strip() if match else text[:300]


class StreamBody:
    """The response body, read like a file, within a deadline.

    `read` returns b"" (end of data) once the deadline has passed, MAX_SAMPLE_BYTES
    have been read, the server closed the stream, or a read failed; `ended`, `timed_out`
    and `error` say which. Each read waits for at most one network read (urllib3's
    `read1`), each bounded by the socket timeout. Bytes read by `probe` are replayed
    first, so the decoder sees the stream from its first byte."""

    def __init__(self, response: requests.Response, deadline: float):
        self._raw = response.raw
        self.deadline = deadline
        self._replay = b""
        self.bytes_read = 0
        self.ended = False
        self.timed_out = False
        self.error = ""

    def _read_network(self, size: int) -> bytes:
        if self.ended or self.error:
            return b""
        if time.monotonic() >= self.deadline:
            self.timed_out = True
            return b""
        if self.bytes_read >= MAX_SAMPLE_BYTES:
            return b""
        try:
            chunk = self._raw.read1(min(size, READ_CHUNK_BYTES))
        except (Urllib3Error, OSError) as exc:
            self.error = _short_error(exc)
            return b""
        if not chunk:
            self.ended = True
        self.bytes_read += len(chunk)
        return chunk

    def probe(self, size: int) -> bytes:
        """Read until `size` bytes, the end of data or the deadline; keep them for replay."""
        data = bytearray()
        while len(data) < size:
            chunk = self._read_network(size - len(data))
            if not chunk:
                break
            data += chunk
        self._replay = bytes(data)
        return self._replay

    def read(self, size: int = -1) -> bytes:
        if self._replay:
            if size < 0:
                size = len(self._replay)
            chunk, self._replay = self._replay[:size], self._replay[size:]
            return chunk
        return self._read_network(READ_CHUNK_BYTES if size < 0 else size)


@dataclass
class Listening:
    status_line: str
    content_type: str
    latency_ms: int
    body: StreamBody


def _get(
    session: requests.Session, url: str, *, deadline: float, timeout_s: float
) -> requests.Response:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise StreamDown(f"Timeout: no response within {timeout_s:g} s")
    try:
        return session.get(
            url,
            headers=_headers(),
            stream=True,
            allow_redirects=False,
            timeout=(remaining, remaining),
        )
    except TargetRefusedError as exc:
        raise StreamDown(
            f"Refused target: {exc} (STREAM_MONITOR_ALLOW_PRIVATE_TARGETS=1 allows it)"
        ) from exc
    except requests.ConnectTimeout as exc:
        raise StreamDown(f"Timeout: could not connect within {timeout_s:g} s") from exc
    except requests.ReadTimeout as exc:
        raise StreamDown(f"Timeout: no response within {timeout_s:g} s") from exc
    except requests.ConnectionError as exc:
        if "timed out" in str(exc):
            raise StreamDown(f"Timeout: no response within {timeout_s:g} s") from exc
        raise StreamDown(f"Connection error: {_short_error(exc)}") from exc
    except requests.RequestException as exc:
        raise StreamDown(f"Request error: {_short_error(exc)}") from exc


@contextmanager
def listen(url: str, *, timeout_s: float, allow_private: bool) -> Iterator[Listening]:
    """Connect to `url` like a player and yield the `200` response's body.

    Connecting, the response headers (and one redirect) must come within `timeout_s`;
    the body's deadline starts at the same `timeout_s` and the caller may extend it.
    Raises StreamDown for every other outcome."""
    started = time.monotonic()
    deadline = started + timeout_s
    with _session(allow_private=allow_private) as session:
        response = _get(session, url, deadline=deadline, timeout_s=timeout_s)
        try:
            if response.is_redirect:
                location = urljoin(url, response.headers["Location"])
                response.close()
                response = _get(session, location, deadline=deadline, timeout_s=timeout_s)
                if response.is_redirect:
                    raise StreamDown(
                        f"Redirected more than once (then to {response.headers['Location']})"
                    )
            latency_ms = int((time.monotonic() - started) * 1000)
            status_line = f"HTTP {response.status_code} {response.reason or ''}".strip()
            if response.status_code != 200:
                raise StreamDown(status_line, latency_ms)
            yield Listening(
                status_line=status_line,
                content_type=response.headers.get("Content-Type", ""),
                latency_ms=latency_ms,
                body=StreamBody(response, deadline),
            )
        finally:
            response.close()
