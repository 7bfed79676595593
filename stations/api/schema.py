"""OpenAPI schema generation: drf-spectacular, plus the error answers every operation has."""

from drf_spectacular.openapi import AutoSchema

__all__ = ["ApiAutoSchema"]

_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_FIELD_ERRORS = {
    "type": "object",
    "description": "Messages per field (`{field: [message, ...]}`, `non_field_errors` for "
    "the object as a whole), or `{detail: message}` when the body is not valid JSON.",
    "additionalProperties": {},
}


def _error(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


class ApiAutoSchema(AutoSchema):
    """Documents the errors the API answers with, so clients (and schemathesis) can rely
    on their shape: `{"detail": "..."}`, or field errors for a 400."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = {
            "401": _error("Missing, invalid or revoked API key.", _DETAIL),
            "429": _error("Too many requests for this key; see Retry-After.", _DETAIL),
        }
        if "{" in self.path:
            errors["403"] = _error("The object belongs to another station.", _DETAIL)
        if "{" in self.path or self.method == "GET":
            errors["404"] = _error("No such object, or no such page.", _DETAIL)
        if self.method in ("POST", "PUT", "PATCH"):
            errors["400"] = _error("Invalid input.", _FIELD_ERRORS)
            errors["413"] = _error("Request body over 256 KiB.", _DETAIL)
        if self.method in ("PUT", "PATCH"):
            errors["409"] = _error("The object is deleted; recover it first.", _DETAIL)
        return responses | {code: e for code, e in errors.items() if code not in responses}
