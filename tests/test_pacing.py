"""Per-webhook delay, throttle (latest track wins) and debounce (same object) decide when
a delivery is first due; superseded messages end as `superseded`, never sent."""

from datetime import timedelta

import pytest

from tests.factories import WebhookFactory
from tests.webhook_helpers import TRACK_PAYLOAD, publish_track
from webhooks.choices import DeliveryStatus
from webhooks.event_types import NEWTRACK, PUSH
from webhooks.publish import publish
from webhooks.services import webhook_send_test_event

pytestmark = pytest.mark.django_db


def _push_update(webhook, model_id, capture_on_commit, coalesce=True):
    with capture_on_commit(execute=True):
        event = publish(
            station=webhook.station,
            event_type=PUSH.name,
            payload={"action": "update", "model_id": model_id},
            webhooks=[webhook],
            coalesce_key=f"broadcast:{model_id}" if coalesce else "",
        )
    return event.deliveries.get()


def test_delay_holds_every_message_back(httpserver, capture_on_commit):
    webhook = WebhookFactory(url=httpserver.url_for("/hook"), delay_s=30)
    sent = publish_track(webhook, capture_on_commit)
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.PENDING and sent.attempt_count == 0
    wait = sent.next_attempt_at - sent.created_at
    assert timedelta(seconds=29) < wait < timedelta(seconds=31)
    assert httpserver.log == []


def test_throttle_sends_at_most_one_per_window_and_the_latest_track_wins(
    httpserver, capture_on_commit
):
    # given
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook = WebhookFactory(url=httpserver.url_for("/hook"), throttle_s=60)
    # when three tracks start within the window
    first = publish_track(webhook, capture_on_commit)
    second = publish_track(webhook, capture_on_commit)
    third = publish_track(webhook, capture_on_commit)
    # then the first went out at once, the second was replaced by the third in the next slot
    for delivery in (first, second, third):
        delivery.refresh_from_db()
    assert first.status == DeliveryStatus.DELIVERED and len(httpserver.log) == 1
    assert second.status == DeliveryStatus.SUPERSEDED and second.attempt_count == 0
    assert third.status == DeliveryStatus.PENDING
    assert third.scheduled_at == first.scheduled_at + timedelta(seconds=60)


def test_debounce_merges_updates_of_one_object_only(capture_on_commit):
    webhook = WebhookFactory(event_type=PUSH.name, debounce_s=10)
    first = _push_update(webhook, 1, capture_on_commit)
    second = _push_update(webhook, 1, capture_on_commit)
    other = _push_update(webhook, 2, capture_on_commit)
    undebounced = _push_update(webhook, 1, capture_on_commit, coalesce=False)
    for delivery in (first, second, other, undebounced):
        delivery.refresh_from_db()
    assert first.status == DeliveryStatus.SUPERSEDED
    assert second.status == DeliveryStatus.PENDING
    assert second.scheduled_at == first.scheduled_at
    assert first.scheduled_at - first.created_at >= timedelta(seconds=9)
    assert other.status == DeliveryStatus.PENDING and other.coalesce_key == "broadcast:2"
    # a message without a coalesce key (a create or delete) is never held back
    assert undebounced.scheduled_at <= undebounced.created_at + timedelta(seconds=1)


def test_test_events_ignore_pacing(httpserver, admin_user):
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook = WebhookFactory(url=httpserver.url_for("/hook"), delay_s=600, throttle_s=600)
    publish(
        station=webhook.station,
        event_type=NEWTRACK.name,
        payload=TRACK_PAYLOAD,
        webhooks=[webhook],
        queue_work=False,
    )
    sent = webhook_send_test_event(webhook=webhook, actor=admin_user)
    assert sent.status == DeliveryStatus.DELIVERED
