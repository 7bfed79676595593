"""Small helpers the formats share for building requests and reading answers."""

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from webhooks.formats.base import Answer

__all__ = ["JSON_HEADERS", "answer_json", "header", "json_body", "with_query"]

JSON_HEADERS = {"Content-Type": "application/json"}


def json_body(value: Any) -> bytes:
    """Compact UTF-8 JSON, the same bytes for the same value."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def answer_json(answer: Answer) -> Any:
    """The answer's body as JSON, or None when it is not JSON."""
    try:
        return json.loads(answer.body)
    except ValueError:
        return None


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, whatever the case of its name."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def with_query(url: str, **params: str) -> str:
    """`url` with these query parameters set (others kept, in order)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode([*query, *params.items()])))
