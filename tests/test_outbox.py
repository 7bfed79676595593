"""The event and its deliveries are written with the change and queued only after commit;
claims are leased so one delivery is never sent by two workers at once."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook as StandardWebhook

from tests.factories import StationFactory, WebhookFactory
from tests.webhook_helpers import TRACK_PAYLOAD, publish_track, publish_track_unqueued
from webhooks import claims, engine
from webhooks.choices import DeliveryStatus
from webhooks.event_types import ENCODER_STATUS, NEWTRACK
from webhooks.models import Delivery, Event
from webhooks.publish import publish
from webhooks.selectors import webhooks_for
from webhooks.signing import xtra_signature

pytestmark = pytest.mark.django_db


def test_rolled_back_change_leaves_no_event_and_sends_nothing(httpserver, capture_on_commit):
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    with capture_on_commit(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            publish(
                station=webhook.station,
                event_type=NEWTRACK.name,
                payload=TRACK_PAYLOAD,
                webhooks=[webhook],
            )
            raise RuntimeError("the change failed")
    assert callbacks == []
    assert not Event.objects.exists() and not Delivery.objects.exists()
    assert httpserver.log == []


def test_one_delivery_per_enabled_matching_webhook():
    station = StationFactory()
    on = WebhookFactory(station=station)
    WebhookFactory(station=station, enabled=False)
    WebhookFactory(station=station, event_type=ENCODER_STATUS.name)
    WebhookFactory(event_type=NEWTRACK.name)  # another station
    event = publish(
        station=station,
        event_type=NEWTRACK.name,
        payload=TRACK_PAYLOAD,
        webhooks=webhooks_for(station, NEWTRACK.name),
        queue_work=False,
    )
    assert [d.webhook for d in event.deliveries.all()] == [on]


def test_no_matching_webhook_writes_nothing():
    station = StationFactory()
    assert (
        publish(
            station=station,
            event_type=NEWTRACK.name,
            payload=TRACK_PAYLOAD,
            webhooks=webhooks_for(station, NEWTRACK.name),
        )
        is None
    )
    assert not Event.objects.exists()


def test_received_request_verifies_with_standard_webhooks_and_hex_hmac(
    httpserver, capture_on_commit
):
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    webhook = WebhookFactory(url=httpserver.url_for("/hook"), secret=secret)
    httpserver.expect_request("/hook").respond_with_data("ok")
    publish_track(webhook, capture_on_commit)
    request, _ = httpserver.log[0]
    body = request.get_data()
    assert StandardWebhook(secret).verify(body, dict(request.headers)) == TRACK_PAYLOAD
    assert request.headers["X-Webhook-Signature"] == xtra_signature(body, secret)


def test_plain_secret_verifies_with_its_utf8_bytes(httpserver, capture_on_commit):
    secret = "my-shared-secret"
    webhook = WebhookFactory(url=httpserver.url_for("/hook"), secret=secret)
    httpserver.expect_request("/hook").respond_with_data("ok")
    publish_track(webhook, capture_on_commit)
    request, _ = httpserver.log[0]
    StandardWebhook(secret.encode()).verify(request.get_data(), dict(request.headers))


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_expires():
    webhook = WebhookFactory()
    event = publish_track_unqueued(webhook)
    pending = event.deliveries.get()
    assert claims.claim_due_deliveries(limit=10).deliveries == [pending]
    assert claims.claim_due_deliveries(limit=10).deliveries == []
    # a worker that died leaves its lease behind; once expired, the delivery is due again
    Delivery.objects.filter(pk=pending.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert claims.due_times(limit=10)
    assert claims.claim_due_deliveries(limit=10).deliveries == [pending]


def test_deliveries_of_a_disabled_webhook_fail_without_a_request(httpserver):
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    event = publish_track_unqueued(webhook)
    webhook.enabled = False
    webhook.save()
    engine.drain_due_deliveries()
    failed = event.deliveries.get()
    assert failed.status == DeliveryStatus.FAILED and failed.attempt_count == 0
    assert failed.last_error == "Webhook is disabled."
    assert httpserver.log == []


def test_a_send_task_also_sends_deliveries_it_was_not_queued_for(httpserver, capture_on_commit):
    # given a due delivery whose own task was lost
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    orphan = publish_track_unqueued(webhook).deliveries.get()

    # when the next change's task runs
    fresh = publish_track(webhook, capture_on_commit)

    # then it sends both, the older first
    orphan.refresh_from_db()
    fresh.refresh_from_db()
    assert orphan.status == fresh.status == DeliveryStatus.DELIVERED
    assert orphan.attempts.get().started_at <= fresh.attempts.get().started_at
