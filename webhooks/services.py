"""Operator actions on webhooks and deliveries. The admin calls these; they hold the
logic so it has one home and one set of tests."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from stations.actors import Actor
from webhooks import engine, event_types, queueing
from webhooks.choices import DeliveryStatus
from webhooks.event_types import EventType
from webhooks.models import Delivery, Webhook
from webhooks.publish import publish_event
from webhooks.signing import generate_secret

__all__ = [
    "TEST_EVENT_TIMEOUT_S",
    "PlannedTestEvent",
    "deliveries_redeliver",
    "plan_test_event",
    "types_for_test_event",
    "webhook_disable",
    "webhook_duplicate",
    "webhook_enable",
    "webhook_redeliver_failed_since",
    "webhook_rotate_secret",
    "webhook_send_test_event",
]

logger = logging.getLogger("stationhooks.webhooks")

# A test event sent from a page waits this long at most for the receiver, so no web
# request (and no web worker's timeout) ever waits on a receiver that hangs.
TEST_EVENT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class PlannedTestEvent:
    """What a test event is about: a subject of `event_type`, and where it comes from
    (`origin`: the station's own recent data, or "a sample")."""

    event_type: EventType
    subject: Any
    origin: str
    real: bool


def types_for_test_event(webhook: Webhook) -> list[EventType]:
    """The types a test event to this webhook may have: its own first, then every other
    type its format sends (a receiver may want to see what it would get)."""
    others = [
        t
        for t in event_types.registered()
        if t.name != webhook.event_type and webhook.destination.sends(t.name)
    ]
    return [event_types.get(webhook.event_type), *others]


def plan_test_event(
    *, webhook: Webhook, event_type: EventType, actor, now: datetime
) -> PlannedTestEvent:
    """A real recent subject of the station when it has one, else the type's sample."""
    recent = event_type.recent(webhook=webhook, actor=actor, now=now)
    if recent is not None:
        subject, origin = recent
        return PlannedTestEvent(event_type, subject, origin, real=True)
    subject = event_type.sample(webhook=webhook, actor=actor, now=now)
    origin = "a sample (the station has none of its own yet)"
    return PlannedTestEvent(event_type, subject, origin, real=False)


def webhook_send_test_event(
    *, webhook: Webhook, actor, event_type: EventType | None = None, wait: bool = True
) -> Delivery:
    """Send a test event (`webhook-test: true`, left out of success rates) to this
    webhook. With `wait`, now, in the caller's process, within TEST_EVENT_TIMEOUT_S, and
    the delivery comes back with its outcome, so the operator sees the receiver's answer
    at once (a retry, if any, is the engine's, like any delivery's); otherwise the engine
    sends it."""
    test = plan_test_event(
        webhook=webhook,
        event_type=event_type or event_types.get(webhook.event_type),
        actor=actor,
        now=timezone.now(),
    )
    with transaction.atomic():
        event = publish_event(
            test.event_type,
            test.subject,
            webhooks=[webhook],
            actor=Actor(user_id=actor.pk),
            is_test=True,
            queue_work=not wait,
        )
    sent = event.deliveries.get()
    if wait:
        engine.send_delivery_now(sent.pk, timeout_s=TEST_EVENT_TIMEOUT_S)
    sent.refresh_from_db()
    return sent


# What a duplicate does not take over: who it is, its secrets, and its own state.
NOT_DUPLICATED = {
    "id",
    "name",
    "enabled",
    "paused_at",
    "secret",
    "previous_secret",
    "previous_secret_expires_at",
    "disabled_reason",
    "disabled_at",
    "consecutive_failures",
    "answers_quickly",
    "created_at",
    "updated_at",
    *Webhook.BREAKER_FIELDS,
}


def webhook_duplicate(*, webhook: Webhook) -> Webhook:
    """A new webhook with the same settings (destination, format settings and their
    secrets, key, custom headers, pacing, models), a new secret of its own (none if the
    original sends unsigned), disabled until an operator has reviewed and enabled it, so
    a receiver never gets every event twice by accident."""
    copied = {
        f.attname: getattr(webhook, f.attname)
        for f in Webhook._meta.concrete_fields
        if f.name not in NOT_DUPLICATED
    }
    duplicate = Webhook(
        **copied,
        name=f"Copy of {webhook.name}"[:200],
        secret=generate_secret() if webhook.secret else "",
        enabled=False,
        disabled_reason=f"A copy of {webhook.name}: review it, then enable it."[:300],
        disabled_at=timezone.now(),
    )
    duplicate.save()
    return duplicate


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
