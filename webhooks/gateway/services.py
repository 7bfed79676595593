"""The operators' actions on the inbound gateway: rotate a source's URL token, replay
requests, accept anyway a request that failed verification. Each returns what it did; the
admin shows it and writes the admin history (who, when, what).

- **Rotate**: the source gets a new token; the previous one keeps working until the end
  of the overlap, so the sender's settings can be changed without losing a request.
- **Replay**: an accepted request (processed or failed) is processed again, as if it had
  just arrived: what it becomes is made again (a new track play, new events…). Requests
  still waiting, duplicates and rejected requests are left alone.
- **Accept anyway**: a request that failed verification (401) is processed as if it had
  passed, once an operator has looked at it. Its body must still be what its kind sends.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from webhooks.choices import InboundOutcome, InboundStatus
from webhooks.gateway.bodies import BodyProblem, read_body
from webhooks.gateway.processing import announce_requests
from webhooks.gateway.tokens import hash_token, new_token
from webhooks.models import InboundRequest, InboundSource

__all__ = [
    "AcceptRefused",
    "Replayed",
    "accept_problem",
    "request_accept_anyway",
    "requests_replay",
    "source_rotate_token",
]

REPLAYABLE = (InboundStatus.PROCESSED, InboundStatus.FAILED)


def source_rotate_token(*, source: InboundSource, overlap: timedelta, now: datetime) -> str:
    """Give `source` a new URL token; the current one keeps working for `overlap` (none:
    at once no more). Returns the new token."""
    with transaction.atomic():
        source = InboundSource.objects.select_for_update().get(pk=source.pk)
        source.previous_token_hash = hash_token(source.token) if overlap else ""
        source.previous_token_expires_at = now + overlap if overlap else None
        source.token = new_token()
        source.save(update_fields=["token", "previous_token_hash", "previous_token_expires_at"])
    return source.token


@dataclass(frozen=True)
class Replayed:
    """What a replay did: the requests queued again, and how many were left alone."""

    ids: list[int]
    skipped: int


def requests_replay(*, requests: Iterable[InboundRequest], now: datetime) -> Replayed:
    """Queue the accepted (or accepted anyway) requests among `requests` that are done,
    processed or failed, to be processed again now (see the module docstring)."""
    chosen = [request.pk for request in requests]
    with transaction.atomic():
        ids = list(
            InboundRequest.objects.filter(pk__in=chosen, status__in=REPLAYABLE)
            .select_for_update()
            .values_list("pk", flat=True)
        )
        InboundRequest.objects.filter(pk__in=ids).update(
            status=InboundStatus.PENDING, attempts=0, process_after=now, error=""
        )
        if ids:
            announce_requests()
    return Replayed(ids=sorted(ids), skipped=len(chosen) - len(ids))


class AcceptRefused(Exception):
    """Why a request cannot be accepted anyway."""


def accept_problem(request: InboundRequest) -> str:
    """Why `request` cannot be accepted anyway; empty when it can."""
    if request.outcome != InboundOutcome.REJECTED or request.response_status != 401:
        return "Only a request that failed verification can be accepted anyway."
    if request.accepted_at is not None:
        return "This request was accepted already."
    try:
        read_body(request.source.kind, bytes(request.body), request.content_type)
    except BodyProblem as problem:
        return f"Its body cannot be processed: {problem}"
    return ""


def request_accept_anyway(*, request: InboundRequest, user, now: datetime) -> None:
    """Process `request`, which failed verification, as if it had passed (the caller
    records who decided it in the admin history). Raises AcceptRefused (see
    `accept_problem`)."""
    with transaction.atomic():
        request = (
            InboundRequest.objects.select_for_update().select_related("source").get(pk=request.pk)
        )
        if problem := accept_problem(request):
            raise AcceptRefused(problem)
        request.accepted_by, request.accepted_at = user, now
        request.status, request.attempts, request.process_after = InboundStatus.PENDING, 0, now
        request.save(
            update_fields=["accepted_by", "accepted_at", "status", "attempts", "process_after"]
        )
        announce_requests()
