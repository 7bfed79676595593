"""One batch of deliveries: every outcome of the batch recorded on its own delivery."""

import pytest

from tests.factories import WebhookFactory
from tests.webhook_helpers import publish_track_unqueued
from webhooks import delivery
from webhooks.choices import DeliveryStatus

pytestmark = pytest.mark.django_db


def test_each_outcome_in_one_batch_is_recorded_on_its_own_delivery(httpserver):
    # given two deliveries each to a receiver that accepts, one that fails for now and
    # one that refuses
    httpserver.expect_request("/ok").respond_with_data("ok", status=200)
    httpserver.expect_request("/down").respond_with_data("down", status=503)
    httpserver.expect_request("/refused").respond_with_data("no", status=404)
    expected = {"/ok": DeliveryStatus.DELIVERED, "/down": DeliveryStatus.PENDING}
    expected["/refused"] = DeliveryStatus.FAILED
    sent = {}
    for path in expected:
        webhook = WebhookFactory(url=httpserver.url_for(path))
        sent[path] = [publish_track_unqueued(webhook).deliveries.get() for _ in range(2)]

    # when one batch sends them all
    assert delivery.send_deliveries() == 6

    # then each delivery holds its own outcome, and each retry its own due time
    for path, status in expected.items():
        for one in sent[path]:
            one.refresh_from_db()
            assert (one.status, one.attempt_count, one.lease_expires_at) == (status, 1, None)
            assert one.attempts.get().response_status == one.last_status_code
            assert (one.next_attempt_at is None) == (status != DeliveryStatus.PENDING)
            assert (one.finished_at is None) == (status == DeliveryStatus.PENDING)
    assert sent["/ok"][0].last_error == ""
    assert sent["/refused"][0].last_error == "HTTP 404"
    first, second = (one.next_attempt_at for one in sent["/down"])
    assert first != second  # jittered one by one
