"""What an endpoint's breaker does to its deliveries: hold them while it is open, let them
go when it closes, and the operator's "try now" (webhooks.breaker has the rules). And the
operator's Pause and Resume: a paused webhook's deliveries are still created, and held
until Resume (Disable, by contrast, creates none).

A held delivery is simply not due: its `next_attempt_at` is moved to the breaker's
`retry_at`, so it burns no attempt, the claim's look at the due index never meets it, and
the due backlog does not count it. A paused webhook's deliveries are held until
PAUSED_UNTIL, a time no breaker reaches; the claim holds any that fall due while it is
paused (published, retried or redelivered meanwhile).
"""

from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from webhooks.breaker import Breaker
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery, Webhook, unleased_at
from webhooks.queueing import announce_due_deliveries

__all__ = [
    "PAUSED_UNTIL",
    "hold_deliveries",
    "hold_paused_deliveries",
    "release_deliveries",
    "webhook_pause",
    "webhook_resume",
    "webhook_try_now",
]

PAUSED_UNTIL = datetime(9999, 1, 1, tzinfo=UTC)


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


def hold_paused_deliveries(webhook_id: int, *, now: datetime) -> int:
    """Hold the webhook's unleased pending deliveries until PAUSED_UNTIL, if it is still
    paused when this runs (a Resume that committed first wins). Returns how many."""
    return (
        _unheld(webhook_id, now)
        .filter(webhook__paused_at__isnull=False, next_attempt_at__lt=PAUSED_UNTIL)
        .update(next_attempt_at=PAUSED_UNTIL)
    )


def webhook_pause(*, webhook: Webhook) -> int:
    """Pause: deliveries keep being created, and wait (in order) until Resume. Returns
    how many queued deliveries it holds now; sends in flight finish."""
    now = timezone.now()
    with transaction.atomic():
        Webhook.objects.filter(pk=webhook.pk, paused_at__isnull=True).update(
            paused_at=now, updated_at=now
        )
        held = hold_paused_deliveries(webhook.pk, now=now)
    webhook.refresh_from_db(fields=["paused_at", "updated_at"])
    return held


def webhook_resume(*, webhook: Webhook) -> int:
    """Resume: the held deliveries are due now, oldest first as ever. Returns how many."""
    now = timezone.now()
    with transaction.atomic():
        Webhook.objects.filter(pk=webhook.pk).update(paused_at=None, updated_at=now)
        released = (
            _unheld(webhook.pk, now)
            .filter(next_attempt_at__gte=PAUSED_UNTIL)
            .update(next_attempt_at=now)
        )
        if released:
            announce_due_deliveries()
    webhook.refresh_from_db(fields=["paused_at", "updated_at"])
    return released
