"""Processing accepted inbound requests: what a worker does after the 202.

The request row is the record (an inbox row: see the inbox package). Each worker process's
inbox worker runs `process_due_requests` when the gateway announces a request
(INBOUND_CHANNEL) and on the poller's timer. It takes one source at a time, under a lock
on that source (PostgreSQL: an advisory transaction lock, tried, never waited for; SQLite:
its single writer), and processes that source's due requests in one transaction, each in
a savepoint of its own that also marks it processed. So:

- nothing is lost: a worker killed half-way rolls its whole transaction back, and the
  requests are still pending for the next look;
- nothing is done twice: a request is marked processed in the transaction of the records
  and events it caused (webhooks.gateway.relays);
- a source's requests are processed one after the other, never by two workers at once, in
  the order of `sequence` (RadioManager's job_id), then arrival. A RadioManager source's
  requests wait INBOUND_PUSH_HOLD_S after they arrive; once its oldest waiting request has
  waited that long, every waiting request of the source goes, in job_id order.

A request whose processing fails is tried again after PROCESSING_RETRY_DELAYS_S, then
marked failed (with the error), which lets a later duplicate of it be accepted, and an
operator can replay it.
"""

import logging
import traceback
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_q.conf import Conf

from webhooks.choices import InboundStatus, SourceKind
from webhooks.gateway.relays import carry_out
from webhooks.models import InboundRequest, InboundSource
from webhooks.publish import caused_by_inbound_request

__all__ = [
    "INBOUND_CHANNEL",
    "PROCESSING_RETRY_DELAYS_S",
    "announce_requests",
    "first_processing_time",
    "process_due_requests",
]

logger = logging.getLogger("stationhooks.gateway")

INBOUND_CHANNEL = "stationhooks_inbound"
PROCESSING_RETRY_DELAYS_S = (10, 60)
SOURCE_LOCK_NAMESPACE = 0x5348_494E  # pg_try_advisory_xact_lock(namespace, source id)
ERROR_MAX_CHARS = 4000


def first_processing_time(kind: str, received_at: datetime) -> datetime:
    """When an accepted request may first be processed: RadioManager's wait for
    stragglers (INBOUND_PUSH_HOLD_S), at once for the others."""
    if kind == SourceKind.RADIOMANAGER:
        return received_at + timedelta(seconds=settings.INBOUND_PUSH_HOLD_S)
    return received_at


def announce_requests() -> None:
    """Wake the workers for requests made due by an update (an operator's replay), at
    commit: the gateway's inserts announce themselves (inbox.insert_announced)."""
    if Conf.SYNC:
        transaction.on_commit(process_due_requests)
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {INBOUND_CHANNEL}")


def _due(now: datetime):
    return InboundRequest.objects.filter(status=InboundStatus.PENDING, process_after__lte=now)


def _lock_source(source_id: int) -> bool:
    """Whether this transaction now holds the source (no other worker is processing it)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)", [SOURCE_LOCK_NAMESPACE, source_id]
        )
        return cursor.fetchone()[0]


def _record_failure(request: InboundRequest, error: BaseException, now: datetime) -> None:
    attempts = request.attempts + 1
    retry = attempts <= len(PROCESSING_RETRY_DELAYS_S)
    logger.warning(
        "Processing inbound request %s failed (attempt %d%s): %s",
        request.pk,
        attempts,
        ", will retry" if retry else ", giving up",
        error,
    )
    InboundRequest.objects.filter(pk=request.pk).update(
        attempts=attempts,
        status=InboundStatus.PENDING if retry else InboundStatus.FAILED,
        process_after=(
            now + timedelta(seconds=PROCESSING_RETRY_DELAYS_S[attempts - 1]) if retry else None
        ),
        error="".join(traceback.format_exception_only(error)).strip()[:ERROR_MAX_CHARS],
    )


def _process_one(source: InboundSource, request: InboundRequest, now: datetime) -> None:
    try:
        with transaction.atomic(), caused_by_inbound_request(request.pk):
            carry_out(source, request)
            InboundRequest.objects.filter(pk=request.pk).update(
                status=InboundStatus.PROCESSED,
                attempts=request.attempts + 1,
                process_after=None,
                processed_at=now,
                error="",
            )
    except Exception as error:  # its savepoint is rolled back; the others' stand
        _record_failure(request, error, now)


def _process_source(source_id: int, *, limit: int, now: datetime) -> int:
    with transaction.atomic():
        if not _lock_source(source_id):
            return 0
        source = InboundSource.objects.select_related("station").get(pk=source_id)
        waiting = InboundRequest.objects.filter(
            Q(process_after__lte=now) | Q(attempts=0),
            source_id=source_id,
            status=InboundStatus.PENDING,
        )
        batch = list(waiting.order_by("sequence", "pk").select_for_update(skip_locked=True)[:limit])
        for request in batch:
            _process_one(source, request, now)
    return len(batch)


def process_due_requests(*, limit: int = 100) -> int:
    """Process up to `limit` due requests, source by source (see the module docstring);
    returns how many were taken. Sources another worker holds are left to it."""
    now = timezone.now()
    source_ids = list(_due(now).order_by().values_list("source_id", flat=True).distinct()[:limit])
    taken = 0
    for source_id in source_ids:
        if taken >= limit:
            break
        taken += _process_source(source_id, limit=limit - taken, now=now)
    return taken
