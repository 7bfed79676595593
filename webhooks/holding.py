"""What an endpoint's breaker does to its deliveries: hold them while it is open, let them
go when it closes, and the operator's "try now" (webhooks.breaker has the rules).

A held delivery is simply not due: its `next_attempt_at` is moved to the breaker's
`retry_at`, so it burns no attempt, the claim's look at the due index never meets it, and
the due backlog does not count it.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from webhooks.breaker import Breaker
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery, Webhook, unleased_at
from webhooks.queueing import announce_due_deliveries

__all__ = ["hold_deliveries", "release_deliveries", "webhook_try_now"]


def _unheld(webhook_id: int, now: datetime):
    """The webhook's pending deliveries that no worker holds."""
    return Delivery.objects.filter(
        unleased_at(now),
        webhook_id=webhook_id,
        status=DeliveryStatus.PENDING,
    )


def hold_deliveries(webhook_id: int, until: datetime, *, now: datetime, keep: int = 0) -> int:
    """Move the webhook's deliveries due before `until` to `until`; `keep` is one not to
    move (the probe). Returns how many were moved."""
    return (
        _unheld(webhook_id, now)
        .filter(next_attempt_at__lt=until)
        .exclude(pk=keep)
        .update(next_attempt_at=until)
    )


def release_deliveries(webhook_id: int, held_until: datetime, *, now: datetime) -> int:
    """Make the deliveries held until `held_until` due now. Returns how many."""
    return (
        _unheld(webhook_id, now)
        .filter(next_attempt_at__gt=now, next_attempt_at__lte=held_until)
        .update(next_attempt_at=now)
    )


def webhook_try_now(*, webhook: Webhook) -> bool:
    """The operator's "try now" on an open breaker: the probe goes out at once (the
    breaker is half-open), and its deliveries are due again. False when the breaker is
    closed (there is nothing to try)."""
    now = timezone.now()
    with transaction.atomic():
        locked = Webhook.objects.select_for_update(no_key=True).get(pk=webhook.pk)
        held_until = locked.breaker_retry_at
        if held_until is None:
            return False
        breaker = locked.breaker
        locked.set_breaker(Breaker(breaker.failures, breaker.trips, now, breaker.reason))
        locked.save(update_fields=[*Webhook.BREAKER_FIELDS, "updated_at"])
        release_deliveries(webhook.pk, max(held_until, now), now=now)
        announce_due_deliveries()
    webhook.refresh_from_db(fields=Webhook.BREAKER_FIELDS)
    return True
