"""WSGI middleware: a request whose Content-Type names a charset outside the allow-list
(`guards.charsets`) is answered 400 before Django sees it.

Django decodes the query string in the request's charset while it builds the request,
before any Django middleware or view runs, so `charset=bz2_codec` (and `idna` with a
percent-escape in the query) raised out of the handler as a 500 on every URL, as did a
Content-Type whose RFC 2231 parameters name such a charset. The gate
sits in front of the whole application (config/wsgi.py) and answers
`{"detail": "Unsupported charset …"}`.
"""

import json
from collections.abc import Callable, Iterable

from django.utils.http import parse_header_parameters

from guards.charsets import UnsupportedCharset, charset_codec

__all__ = ["refuse_unsupported_charsets"]

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def _bad_request(start_response: Callable, detail: str) -> list[bytes]:
    body = json.dumps({"detail": detail}).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response("400 Bad Request", headers)
    return [body]


def refuse_unsupported_charsets(app: WSGIApp) -> WSGIApp:
    """Wrap the WSGI callable `app` with the gate."""

    def gated(environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            _, params = parse_header_parameters(environ.get("CONTENT_TYPE", ""))
            if "charset" in params:
                charset_codec(params["charset"])
        except UnsupportedCharset as unsupported:
            return _bad_request(start_response, f"{unsupported} in Content-Type.")
        except (ValueError, LookupError):
            return _bad_request(start_response, "Malformed Content-Type header.")
        return app(environ, start_response)

    return gated
