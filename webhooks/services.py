"""Operator actions on webhooks and deliveries. The admin calls these; they hold the
logic so it has one home and one set of tests."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from stations.actors import Actor
from stations.choices import EncoderStatus
from webhooks import engine, queueing
from webhooks.choices import DeliveryStatus, Trigger
from webhooks.models import Delivery, Webhook
from webhooks.payloads import (
    alert_stream,
    encoder_statuschange_event,
    newtrack_event,
    push_message,
    stream_alert,
)
from webhooks.publish import publish
from webhooks.signing import generate_secret

__all__ = [
    "deliveries_redeliver",
    "sample_payload",
    "webhook_disable",
    "webhook_enable",
    "webhook_redeliver_failed_since",
    "webhook_rotate_secret",
    "webhook_send_test_event",
]

logger = logging.getLogger("stationhooks.webhooks")


def sample_payload(*, webhook: Webhook, actor, now: datetime) -> dict:
    """A realistic body for the webhook's trigger, built from the station's own data
    where it has some (its first encoder or stream), so receivers can test parsing."""
    station = webhook.station
    if webhook.trigger == Trigger.PUSH:
        return push_message(
            action="update",
            model=(webhook.models or ["program"])[0],
            model_id=0,
            job_id=0,
            resync=False,
            station_id=station.pk,
            user_id=getattr(actor, "pk", None),
            api_id=None,
        )
    if webhook.trigger == Trigger.NEWTRACK:
        return newtrack_event(
            timestamp=now,
            station_id=station.public_id,
            station_name=station.name,
            track_id="med_test",
            title="Test Track",
            artist="StationHooks",
            album="Test Events",
            duration=180,
        )
    if webhook.trigger == Trigger.ENCODER_STATUS:
        encoder = station.encoders.first()
        return encoder_statuschange_event(
            timestamp=now,
            station_id=station.public_id,
            station_name=station.name,
            encoder_id=encoder.public_id if encoder else "enc_test",
            encoder_name=encoder.name if encoder else "Test Encoder",
            status=EncoderStatus.CONNECTED,
            previous_status=EncoderStatus.DISCONNECTED,
        )
    stream = station.streams.first()
    return stream_alert(
        timestamp=now,
        event_type="down",
        station_id=str(station.uuid),
        station_name=station.name,
        stream=alert_stream(
            stream_id=str(stream.uuid),
            name=stream.name,
            listening_url=stream.listening_url,
            silence=False if stream.silence_detection else None,
        )
        if stream
        else None,
    )


def webhook_send_test_event(*, webhook: Webhook, actor) -> Delivery:
    """Send a test event to this webhook now, in the caller's process, and return the
    delivery with its outcome, so the operator sees the receiver's answer at once."""
    with transaction.atomic():
        event = publish(
            station=webhook.station,
            event_type=webhook.trigger,
            payload=sample_payload(webhook=webhook, actor=actor, now=timezone.now()),
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
