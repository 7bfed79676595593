"""A webhook's own headers (an operator's "X-Tenant: radio-1", "Authorization: Bearer …"),
sent on every request to it. Pure: parsing and checking what the form holds, masking what
pages and the delivery log show.

The hub's own headers always win and cannot be set here: the signature and id headers,
the body's Content-Type and length, and what HTTP itself manages. A header whose name
suggests a credential has its value masked wherever it is shown.
"""

import json
import re

from webhooks.signing import mask_secret

__all__ = [
    "MAX_HEADERS",
    "decode",
    "encode",
    "masked",
    "parse",
    "shown_lines",
]

MAX_HEADERS = 20
MAX_VALUE_LENGTH = 1000
# RFC 9110's token: the characters a field name may have.
NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
RESERVED = {
    "api-key",
    "connection",
    "content-encoding",
    "content-length",
    "content-type",
    "host",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
}
RESERVED_PREFIXES = ("webhook-", "x-webhook-")
SECRET_WORDS = ("auth", "token", "secret", "key", "password", "signature", "cookie", "session")


def _is_secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def _shown_value(name: str, value: str) -> str:
    return mask_secret(value) if _is_secret(name) else value


def masked(headers: list[tuple[str, str]]) -> dict[str, str]:
    """The headers as pages and the delivery log show them."""
    return {name: _shown_value(name, value) for name, value in headers}


def shown_lines(headers: list[tuple[str, str]]) -> str:
    """The form's text for stored headers: one "Name: value" a line, secret values
    masked (a masked value left as it is keeps the stored one)."""
    return "\n".join(f"{name}: {value}" for name, value in masked(headers).items())


def _problem(name: str, value: str) -> str | None:
    lowered = name.lower()
    if not NAME.match(name):
        return f"“{name}” is not a header name (letters, digits and !#$%&'*+-.^_`|~ only)."
    if lowered in RESERVED or lowered.startswith(RESERVED_PREFIXES):
        return f"{name} is set by the hub itself and cannot be overridden."
    if len(value) > MAX_VALUE_LENGTH:
        return f"The value of {name} is longer than {MAX_VALUE_LENGTH} characters."
    if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in value):
        return f"The value of {name} has a control character."
    return None


def parse(text: str, *, stored: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str]]:
    """The headers in the form's text, and what is wrong with it. A value shown masked
    and left unchanged keeps the stored value of the same header."""
    kept = {name.lower(): (name, value) for name, value in stored}
    headers, problems, seen = [], [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if not colon or not name:
            problems.append(f"Line {number}: write “Name: value”.")
            continue
        if name.lower() in seen:
            problems.append(f"{name} is given twice.")
            continue
        seen.add(name.lower())
        old = kept.get(name.lower())
        if old and _is_secret(name) and value == _shown_value(*old):
            value = old[1]
        if problem := _problem(name, value):
            problems.append(problem)
        headers.append((name, value))
    if len(headers) > MAX_HEADERS:
        problems.append(f"At most {MAX_HEADERS} headers.")
    return headers, problems


def encode(headers: list[tuple[str, str]]) -> str:
    return json.dumps([list(h) for h in headers]) if headers else ""


def decode(stored: str) -> list[tuple[str, str]]:
    return [(name, value) for name, value in json.loads(stored)] if stored else []
