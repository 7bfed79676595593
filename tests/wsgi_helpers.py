"""Calling a WSGI application the way a server does, for tests of config/wsgi.py."""

import io
from wsgiref.util import setup_testing_defaults


def call_wsgi(
    app, *, method: str, path: str, query: str = "", content_type: str = "", body: bytes = b""
) -> tuple[str, bytes]:
    """Send one request to `app`; returns the status line and the body."""
    environ: dict = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1",
        "wsgi.input": io.BytesIO(body),
    }
    setup_testing_defaults(environ)
    started: list[str] = []

    def start_response(status, headers, exc_info=None):
        started.append(status)

    chunks = app(environ, start_response)
    try:
        content = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return started[0], content
