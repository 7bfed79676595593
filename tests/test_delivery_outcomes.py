"""Each outcome rule against a real local receiver (pytest-httpserver)."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from werkzeug import Response

from tests.factories import WebhookFactory
from tests.faults.chaos_receiver import Answer, ChaosReceiver
from tests.webhook_helpers import TRACK_PAYLOAD, drain_until_settled, publish_track
from webhooks.choices import DeliveryStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def immediate_retries(settings):
    settings.WEBHOOKS_RETRY_DELAYS_S = [0, 0, 0]


@pytest.fixture
def webhook(httpserver):
    return WebhookFactory(url=httpserver.url_for("/hook"))


def test_2xx_is_delivered_with_the_exact_body(httpserver, webhook, capture_on_commit):
    # given
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("ok", status=204)
    # when
    sent = publish_track(webhook, capture_on_commit)
    # then
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.DELIVERED and sent.attempt_count == 1
    request, _ = httpserver.log[0]
    assert json.loads(request.get_data()) == TRACK_PAYLOAD
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "StationHooks/0.1.0"
    assert request.headers["api-key"] == "receiver-api-key-123"
    attempt = sent.attempts.get()
    assert attempt.response_status == 204 and attempt.error == ""
    assert attempt.request_headers["api-key"] != "receiver-api-key-123"  # masked in the log


def test_500_then_200_is_delivered_on_the_second_attempt_with_identical_bytes(
    httpserver, webhook, capture_on_commit
):
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=500)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok", status=200)
    sent = publish_track(webhook, capture_on_commit)
    drain_until_settled()
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.DELIVERED and sent.attempt_count == 2
    first, second = (request for request, _ in httpserver.log)
    assert first.get_data() == second.get_data()
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == sent.event.message_id
    assert [a.response_status for a in sent.attempts.all()] == [500, 200]


def test_500_four_times_fails_after_exactly_four_attempts(httpserver, webhook, capture_on_commit):
    httpserver.expect_request("/hook").respond_with_data("broken", status=500)
    sent = publish_track(webhook, capture_on_commit)
    drain_until_settled()
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.FAILED
    assert sent.attempt_count == 4 and len(httpserver.log) == 4
    assert sent.last_status_code == 500 and sent.next_attempt_at is None


def test_404_fails_after_one_attempt(httpserver, webhook, capture_on_commit):
    httpserver.expect_request("/hook").respond_with_data("no such hook", status=404)
    sent = publish_track(webhook, capture_on_commit)
    drain_until_settled()
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.FAILED and sent.attempt_count == 1
    assert sent.attempts.get().response_body == "no such hook"


def test_429_honours_retry_after(httpserver, webhook, capture_on_commit):
    httpserver.expect_request("/hook").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "120"})
    )
    before = timezone.now()
    sent = publish_track(webhook, capture_on_commit)
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.PENDING and sent.attempt_count == 1
    wait = sent.next_attempt_at - before
    assert timedelta(seconds=119) <= wait <= timedelta(seconds=125)
    drain_until_settled()
    assert len(httpserver.log) == 1  # not due yet


def test_timeout_is_retried(httpserver, webhook, settings, capture_on_commit):
    settings.WEBHOOKS_REQUEST_TIMEOUT_S = 0.5

    def too_slow(request):
        time.sleep(1.5)
        return Response("late")

    httpserver.expect_oneshot_request("/hook").respond_with_handler(too_slow)
    httpserver.expect_oneshot_request("/hook").respond_with_data("ok")
    sent = publish_track(webhook, capture_on_commit)
    sent.refresh_from_db()
    first = sent.attempts.get()
    assert first.response_status is None and first.error.startswith("Timeout")
    assert sent.status == DeliveryStatus.PENDING
    time.sleep(1.2)  # let the slow handler finish so the server is free again
    drain_until_settled()
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.DELIVERED and sent.attempt_count == 2


def test_an_answer_trickling_past_the_timeout_is_cut_at_the_timeout(settings, capture_on_commit):
    # given a receiver that sends a 200's headers at once, then its body a byte at a time
    # over 3 s, each byte well within the read timeout
    settings.WEBHOOKS_REQUEST_TIMEOUT_S = 0.5
    with ChaosReceiver(lambda _id, _n: Answer.TRICKLE, stall_s=3.0) as receiver:
        webhook = WebhookFactory(url=receiver.url)

        # when
        sent = publish_track(webhook, capture_on_commit)

    # then the attempt ended at the request timeout, as a timeout, and will be retried
    sent.refresh_from_db()
    attempt = sent.attempts.get()
    assert attempt.error.startswith("Timeout") and attempt.response_status is None
    assert attempt.duration_ms < 1000
    assert sent.status == DeliveryStatus.PENDING


def test_a_connection_closed_mid_answer_is_retried(capture_on_commit):
    # given a receiver that sends a 200's headers and half its body, then hangs up
    with ChaosReceiver(lambda _id, n: Answer.CUT if n == 0 else Answer.OK) as receiver:
        webhook = WebhookFactory(url=receiver.url)

        # when
        sent = publish_track(webhook, capture_on_commit)
        drain_until_settled()

    # then the broken answer counted as a connection error, and the retry delivered
    sent.refresh_from_db()
    first, second = sent.attempts.order_by("number")
    assert first.error.startswith("Connection error") and first.response_status is None
    assert second.response_status == 200
    assert sent.status == DeliveryStatus.DELIVERED and sent.attempt_count == 2


def test_connection_refused_is_retried_then_fails(capture_on_commit):
    webhook = WebhookFactory(url="http://127.0.0.1:1/hook")
    sent = publish_track(webhook, capture_on_commit)
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.PENDING
    assert "Connection error" in sent.attempts.get().error
    drain_until_settled()
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.FAILED and sent.attempt_count == 4


def test_redirect_is_not_followed_and_fails(httpserver, webhook, capture_on_commit):
    httpserver.expect_request("/hook").respond_with_response(
        Response(status=302, headers={"Location": httpserver.url_for("/elsewhere")})
    )
    httpserver.expect_request("/elsewhere").respond_with_data("should not be reached")
    sent = publish_track(webhook, capture_on_commit)
    drain_until_settled()
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.FAILED and sent.attempt_count == 1
    assert sent.last_status_code == 302
    assert [request.path for request, _ in httpserver.log] == ["/hook"]


def test_410_fails_and_disables_the_webhook(httpserver, webhook, capture_on_commit):
    httpserver.expect_request("/hook").respond_with_data("gone", status=410)
    sent = publish_track(webhook, capture_on_commit)
    sent.refresh_from_db()
    webhook.refresh_from_db()
    assert sent.status == DeliveryStatus.FAILED and sent.attempt_count == 1
    assert not webhook.enabled and "410" in webhook.disabled_reason


def test_response_body_is_truncated_to_4_kib(httpserver, webhook, capture_on_commit):
    httpserver.expect_request("/hook").respond_with_data("x" * 100_000, status=200)
    sent = publish_track(webhook, capture_on_commit)
    attempt = sent.attempts.get()
    assert len(attempt.response_body) == 4096
    assert attempt.response_headers["Content-Length"] == "100000"
