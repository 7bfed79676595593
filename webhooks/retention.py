"""Retention: the delivery log and the inbound log are pruned in small batches, oldest
first.

Events older than WEBHOOKS_RETENTION_DAYS go with their deliveries and attempts, unless a
delivery is still pending. Inbound requests older than INBOUND_RETENTION_DAYS go unless
they are still waiting to be processed; the events they caused stay (their link is
cleared). A request id (webhook-id, job_id) stops counting as a duplicate once its holder
is pruned. Each batch is its own short transaction, so pruning never holds long locks. The
dashboard's hourly stats are a separate rollup and keep their numbers.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from webhooks.choices import DeliveryStatus, InboundStatus
from webhooks.models import Delivery, DeliveryAttempt, Event, InboundRequest

__all__ = ["prune_delivery_log", "prune_inbound_log"]

BATCH_SIZE = 1000
MAX_BATCHES_PER_RUN = 500


def prune_delivery_log(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Delete expired events with their deliveries and attempts; returns events deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOKS_RETENTION_DAYS)
    expired = Event.objects.filter(created_at__lt=cutoff).exclude(
        deliveries__status=DeliveryStatus.PENDING
    )

    def delete(ids: list[int]) -> None:
        DeliveryAttempt.objects.filter(delivery__event_id__in=ids).delete()
        Delivery.objects.filter(event_id__in=ids).delete()
        Event.objects.filter(pk__in=ids).delete()

    return _prune_in_batches(expired, delete, batch_size)


def prune_inbound_log(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Delete expired inbound requests (not those still pending); returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.INBOUND_RETENTION_DAYS)
    expired = InboundRequest.objects.filter(received_at__lt=cutoff).exclude(
        status=InboundStatus.PENDING
    )

    def delete(ids: list[int]) -> None:
        Event.objects.filter(inbound_request_id__in=ids).update(inbound_request=None)
        InboundRequest.objects.filter(duplicate_of_id__in=ids).update(duplicate_of=None)
        InboundRequest.objects.filter(pk__in=ids).delete()

    return _prune_in_batches(expired, delete, batch_size)


def _prune_in_batches(
    expired: QuerySet, delete: Callable[[list[int]], None], batch_size: int
) -> int:
    """Run `delete` on the ids of `expired`, oldest first, a batch per transaction, at most
    MAX_BATCHES_PER_RUN batches; returns how many ids were deleted."""
    deleted = 0
    for _ in range(MAX_BATCHES_PER_RUN):
        ids = list(expired.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        with transaction.atomic():
            delete(ids)
        deleted += len(ids)
    return deleted
