"""A requests transport adapter that connects only where the target rule allows.

Mount it on a session (`session.mount("https://", PublicTargetAdapter())`) and every
connection, redirects included, goes through `guards.targets.resolve_target`: the host is
resolved once, every address it resolves to is judged, and the connection is made to the
checked address itself. The original name still goes out in the `Host` header and, for
https, in SNI and the certificate check.
"""

from collections.abc import Callable

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from guards.targets import DEFAULT_PORTS, RefusedTarget, resolve_target

__all__ = ["PublicTargetAdapter", "TargetRefusedError"]


class TargetRefusedError(requests.RequestException):
    """The URL's host is not an allowed target; the message says why."""


class PublicTargetAdapter(HTTPAdapter):
    """`resolve(host, port) -> address` is `resolve_target` unless a test names another;
    it raises RefusedTarget or OSError (unresolvable)."""

    def __init__(self, *, resolve: Callable[[str, int], str] = resolve_target, **kwargs):
        self._resolve = resolve
        super().__init__(**kwargs)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        host, scheme = host_params["host"], host_params["scheme"]
        port = host_params["port"] or DEFAULT_PORTS.get(scheme, 80)
        try:
            address = self._resolve(host, port)
        except RefusedTarget as exc:
            raise TargetRefusedError(str(exc), request=request) from None
        except OSError as exc:
            raise requests.ConnectionError(f"Cannot resolve host {host}", request=request) from exc
        named_host = f"[{host}]" if ":" in host else host
        request.headers = CaseInsensitiveDict(request.headers or {})
        request.headers["Host"] = (
            named_host if host_params["port"] is None else f"{named_host}:{host_params['port']}"
        )
        if scheme == "https":
            pool_kwargs["assert_hostname"] = host
            pool_kwargs["server_hostname"] = host
        host_params["host"] = f"[{address}]" if ":" in address else address
        return host_params, pool_kwargs
