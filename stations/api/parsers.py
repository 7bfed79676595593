"""The API's JSON parser: DRF's, under the JSON input rules of `guards.json_input`.

A body that breaks a rule (nesting, non-finite numbers, lone surrogates) or names a
charset outside `guards.charsets` is answered like malformed JSON: 400
`{"detail": "JSON parse error - <which rule>"}`.
"""

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from guards.charsets import charset_codec
from guards.json_input import json_input_loads

__all__ = ["JSONInputParser"]


class JSONInputParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            return json_input_loads(stream.read().decode(charset_codec(encoding)))
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
