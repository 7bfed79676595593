"""Operator actions on webhooks and deliveries. The admin calls these; they hold the
logic so it has one home and one set of tests."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from stations.actors import Actor
from webhooks import engine, event_types, queueing
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery, Webhook
from webhooks.publish import publish_event
from webhooks.signing import generate_secret

__all__ = [
    "deliveries_redeliver",
    "webhook_disable",
    "webhook_enable",
    "webhook_redeliver_failed_since",
    "webhook_rotate_secret",
    "webhook_send_test_event",
]

logger = logging.getLogger("stationhooks.webhooks")


def webhook_send_test_event(*, webhook: Webhook, actor) -> Delivery:
    """Send a test event to this webhook now, in the caller's process, and return the
    delivery with its outcome, so the operator sees the receiver's answer at once. Its
    body is the event type's own, built from a sample subject (the station's own encoder
    or stream where it has one), so receivers can test their parsing."""
    event_type = event_types.get(webhook.event_type)
    subject = event_type.sample(webhook=webhook, actor=actor, now=timezone.now())
    with transaction.atomic():
        event = publish_event(
            event_type,
            subject,
            webhooks=[webhook],
            actor=Actor(user_id=actor.pk),
            is_test=True,
            queue_work=False,
        )
    sent = event.deliveries.get()
    engine.send_delivery_now(sent.pk)
    sent.refresh_from_db()
    return sent


def webhook_rotate_secret(*, webhook: Webhook) -> str:
    """Replace the secret; returns the new one (shown to the operator once). The old one
    keeps signing alongside for WEBHOOKS_SECRET_GRACE_S, so receivers can switch."""
    if webhook.secret:
        webhook.previous_secret = webhook.secret
        webhook.previous_secret_expires_at = timezone.now() + timedelta(
            seconds=settings.WEBHOOKS_SECRET_GRACE_S
        )
    webhook.secret = generate_secret()
    webhook.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
    )
    logger.info("Rotated the secret of webhook %s", webhook.pk)
    return webhook.secret


def webhook_enable(*, webhook: Webhook) -> None:
    """Enable and forget the reason it was disabled and its failure streak."""
    webhook.enabled = True
    webhook.disabled_reason, webhook.disabled_at, webhook.consecutive_failures = "", None, 0
    webhook.save(
        update_fields=[
            "enabled",
            "disabled_reason",
            "disabled_at",
            "consecutive_failures",
            "updated_at",
        ]
    )


def webhook_disable(*, webhook: Webhook, reason: str) -> None:
    webhook.enabled = False
    webhook.disabled_reason, webhook.disabled_at = reason, timezone.now()
    webhook.save(update_fields=["enabled", "disabled_reason", "disabled_at", "updated_at"])


def _reset_for_redelivery(deliveries: QuerySet[Delivery]) -> int:
    """One more attempt each, now, flagged manual: an operator's redelivery gets no
    automatic retries. Deliveries still pending are left alone."""
    return deliveries.exclude(status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.PENDING,
        auto_retry=False,
        next_attempt_at=timezone.now(),
        lease_expires_at=None,
        finished_at=None,
        updated_at=timezone.now(),
    )


def deliveries_redeliver(*, deliveries: QuerySet[Delivery]) -> int:
    ids = list(deliveries.exclude(status=DeliveryStatus.PENDING).values_list("pk", flat=True))
    count = _reset_for_redelivery(Delivery.objects.filter(pk__in=ids))
    if count:
        queueing.announce_due_deliveries()
    return count


def webhook_redeliver_failed_since(*, webhook: Webhook, since: datetime) -> int:
    """Svix's "recover": every delivery to this webhook that failed since `since` goes
    out again. Handed to the send tasks, since there may be many."""
    count = _reset_for_redelivery(
        webhook.deliveries.filter(status=DeliveryStatus.FAILED, created_at__gte=since)
    )
    if count:
        queueing.announce_due_deliveries()
    return count
