"""JSON input the hub accepts: bounded nesting, finite numbers, well-formed Unicode.

Python's `json` accepts things that later fail far from the request, as a 500:

- deep nesting: the parser itself, and every recursive walk after it (validation, the
  database adapter, the renderer), raise RecursionError a few hundred levels down;
- `NaN`, `Infinity`, and numbers such as `1e400` that overflow to infinity: PostgreSQL
  refuses them in `jsonb`, and the strict JSON renderer cannot write them back;
- lone surrogates (`"\\ud800"` unpaired, in a key or a value): they cannot be encoded as
  UTF-8, so PostgreSQL, templates and response encoders fail on them.

`json_input_loads` parses text under these rules and raises JSONInputError with a message
that says which rule the input broke; `check_json_value` applies the same rules to a value
already in Python (from a form, say). Both walk without recursion. The DRF parser
(`stations.api.parsers`), the admin's JSON form field (`guards.forms`) and the inbound
hooks use them. docs/security.md states the limits for API users.
"""

import json
import math
import re
from array import array
from itertools import accumulate
from typing import Any

__all__ = ["MAX_JSON_DEPTH", "JSONInputError", "check_json_value", "json_input_loads"]

MAX_JSON_DEPTH = 64
"""Most arrays and objects nested inside one another; the document's own is level 1."""


class JSONInputError(ValueError):
    """The input breaks one of the module's rules; the message says which."""


def _too_deep() -> JSONInputError:
    return JSONInputError(
        f"JSON nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and objects."
    )


def _refuse_constant(name: str) -> float:
    raise JSONInputError(f"Numbers must be finite: {name} is not allowed.")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        shown = literal if len(literal) <= 40 else f"{literal[:37]}..."
        raise JSONInputError(f"Numbers must be finite: {shown} is out of range.")
    return value


def _check_string(text: str, where: str, *, allow_nul: bool) -> None:
    if text.isascii():
        if not allow_nul and "\x00" in text:
            raise JSONInputError("Null characters are not allowed.")
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        surrogate = text[exc.start]
        raise JSONInputError(
            f"Strings must be valid Unicode: {where} holds a lone surrogate "
            f"(\\u{ord(surrogate):04x})."
        ) from None
    if not allow_nul and "\x00" in text:
        raise JSONInputError("Null characters are not allowed.")


def check_json_value(value: Any, *, allow_nul: bool = True) -> None:
    """Raise JSONInputError if `value` (dicts, lists, strings, numbers, None, booleans)
    nests deeper than MAX_JSON_DEPTH, holds a non-finite float or a string (key or
    value) with a lone surrogate, or, with `allow_nul=False`, a NUL character (which no
    PostgreSQL text or jsonb column takes)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep()
            for key, child in item.items():
                if isinstance(key, str):
                    _check_string(key, "a key", allow_nul=allow_nul)
                pending.append((child, depth + 1))
        elif isinstance(item, list | tuple):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep()
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _check_string(item, "a value", allow_nul=allow_nul)
        elif isinstance(item, float) and not math.isfinite(item):
            raise JSONInputError(f"Numbers must be finite: {item} is not allowed.")


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 / -1 as signed bytes
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[{]}"))
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_NUL_ESCAPE = re.compile(r"\\u0000")


def _nests_too_deeply(text: str) -> bool:
    """Whether the document's arrays and objects nest deeper than MAX_JSON_DEPTH, told
    from its brackets outside strings before anything parses it (so no parser or walk
    ever recurses deep): the highest running sum of +1 per opening and -1 per closing
    bracket, in C loops only."""
    outside_strings = _STRING.sub("", text).encode("utf-8", "surrogatepass")
    steps = array("b")
    steps.frombytes(outside_strings.translate(_BRACKET_STEPS, _NOT_BRACKETS))
    return max(accumulate(steps), default=0) > MAX_JSON_DEPTH


def _may_hold_bad_strings(text: str, *, allow_nul: bool) -> bool:
    """Cheap look at the text: can a string in it hold a lone surrogate (or a NUL)?"""
    if _SURROGATE_ESCAPE.search(text) or (not allow_nul and _NUL_ESCAPE.search(text)):
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def json_input_loads(text: str | bytes, *, allow_nul: bool = True) -> Any:
    """Parse a JSON document under the module's rules. Raises JSONInputError for a rule
    broken and ValueError (json.JSONDecodeError, UnicodeDecodeError) for text that is not
    JSON at all. Bytes are decoded strictly as UTF-8, -16 or -32 (as json.loads detects)."""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode(json.detect_encoding(text))
    if _nests_too_deeply(text):
        raise _too_deep()
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:  # a document too malformed for the depth check to read
        raise _too_deep() from None
    if _may_hold_bad_strings(text, allow_nul=allow_nul):
        check_json_value(value, allow_nul=allow_nul)
    return value
