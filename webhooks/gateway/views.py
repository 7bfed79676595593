"""`POST /in/<token>/`: the ingest endpoint of the inbound gateway. HTTP only; what a
request becomes is webhooks.gateway.receipt's.

- another method: 405 (nothing kept);
- an unknown or disabled source: 404 (nothing kept);
- an invalid Content-Length: 400 (nothing kept);
- a body over the source's limit: 413 (kept without the body);
- otherwise whatever `receipt.receive` answers (202, 200 for a duplicate, 401, 415, 400);
- our own database failing: 503 with Retry-After, so the sender tries again.

A plain Django view, not DRF's: it needs the raw bytes, no authentication class applies,
and it is on the hot path.
"""

import ipaddress
import logging

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from rest_framework.throttling import BaseThrottle

from webhooks.gateway import receipt
from webhooks.gateway.selectors import source_for_token
from webhooks.gateway.tokens import looks_like_token

__all__ = ["inbound_endpoint"]

logger = logging.getLogger("stationhooks.gateway")

RETRY_AFTER_S = 10


def _client_ip(request: HttpRequest) -> str | None:
    """The client's address (behind NUM_PROXIES trusted proxies, as the API counts it)."""
    ident = BaseThrottle().get_ident(request) or ""
    try:
        return str(ipaddress.ip_address(ident))
    except ValueError:
        return None


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def _answer(answer: receipt.Answer) -> JsonResponse:
    return JsonResponse(answer.body, status=answer.status)


@csrf_exempt
def inbound_endpoint(request: HttpRequest, token: str) -> JsonResponse:
    if request.method != "POST":
        response = JsonResponse({"detail": "Use POST."}, status=405)
        response["Allow"] = "POST"
        return response
    if not looks_like_token(token):
        return JsonResponse({"detail": "Not found."}, status=404)
    try:
        now = timezone.now()
        source = source_for_token(token, now=now)
        if source is None:
            return JsonResponse({"detail": "Not found."}, status=404)
        headers, client_ip = dict(request.headers), _client_ip(request)
        declared = _declared_length(request)
        if declared is None:
            return JsonResponse({"detail": "Invalid Content-Length header."}, status=400)
        if declared > source.max_body_bytes:
            return _answer(
                receipt.receive_oversized(
                    source=source, headers=headers, size=declared, client_ip=client_ip, now=now
                )
            )
        body = request.read(source.max_body_bytes + 1)
        if len(body) > source.max_body_bytes:
            return _answer(
                receipt.receive_oversized(
                    source=source, headers=headers, size=None, client_ip=client_ip, now=now
                )
            )
        return _answer(
            receipt.receive(source=source, headers=headers, body=body, client_ip=client_ip, now=now)
        )
    except DatabaseError:
        logger.exception("The inbound gateway could not keep a request; answering 503")
        response = JsonResponse(
            {"detail": "Temporarily unable to accept requests; try again."}, status=503
        )
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
