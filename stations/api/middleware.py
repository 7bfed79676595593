"""Refuse oversized API request bodies with a 413 before anything reads them."""

import json

from django.conf import settings
from django.http import HttpResponse

__all__ = ["RequestBodyLimitMiddleware"]

API_PATH_PREFIX = "/api/"


def _json_error(status: int, detail: str) -> HttpResponse:
    return HttpResponse(
        json.dumps({"detail": detail}), status=status, content_type="application/json"
    )


class RequestBodyLimitMiddleware:
    """Answers 413 to an /api/ request whose Content-Length exceeds API_MAX_BODY_BYTES.

    DRF's JSON parser reads the body without Django's DATA_UPLOAD_MAX_MEMORY_SIZE check
    (that guards only form parsing), so the limit is enforced here, from the declared
    length. A body without Content-Length reads as empty under WSGI."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PATH_PREFIX):
            declared = request.META.get("CONTENT_LENGTH") or "0"
            try:
                length = int(declared)
            except ValueError:
                return _json_error(400, "Invalid Content-Length header.")
            if length > settings.API_MAX_BODY_BYTES:
                return _json_error(
                    413,
                    f"Request body too large: {length} bytes, "
                    f"the limit is {settings.API_MAX_BODY_BYTES} bytes.",
                )
        return self.get_response(request)
