"""The engine: claim -> send -> record. Every outcome is recorded on its own delivery; no
send waits for a slower one; the in-flight cap of an endpoint holds across workers and
lets other endpoints' deliveries past; a fast endpoint gets its messages in order; a send
that cannot start in time is released unattempted."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.factories import WebhookFactory
from tests.webhook_helpers import publish_track_unqueued
from webhooks import claims, engine
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery, DeliveryAttempt

pytestmark = pytest.mark.django_db

GUARD_S = 10  # only a failure guard: a passing run never waits this long


@pytest.fixture
def second_server():
    server = HTTPServer(host="127.0.0.1")
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def due(webhook, count: int) -> list[Delivery]:
    return [publish_track_unqueued(webhook).deliveries.get() for _ in range(count)]


def lease_elsewhere(deliveries: list[Delivery]) -> None:
    """As if another worker had claimed these and were sending them now."""
    Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
        lease_expires_at=timezone.now() + timedelta(seconds=60)
    )


def test_each_outcome_is_recorded_on_its_own_delivery(httpserver):
    # given two deliveries each to a receiver that accepts, one that fails for now and
    # one that refuses
    httpserver.expect_request("/ok").respond_with_data("ok", status=200)
    httpserver.expect_request("/down").respond_with_data("down", status=503)
    httpserver.expect_request("/refused").respond_with_data("no", status=404)
    expected = {"/ok": DeliveryStatus.DELIVERED, "/down": DeliveryStatus.PENDING}
    expected["/refused"] = DeliveryStatus.FAILED
    sent = {path: due(WebhookFactory(url=httpserver.url_for(path)), 2) for path in expected}

    # when the engine sends what is due
    assert engine.drain_due_deliveries() == 6

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


def test_a_slow_receiver_holds_up_nobody_else(httpserver, second_server):
    # given a receiver that answers only once five others have been delivered meanwhile
    fast_arrived = Counter()
    all_fast_arrived = threading.Event()
    slow_waited = []

    def fast(request):
        fast_arrived[request.headers["webhook-id"]] += 1
        if len(fast_arrived) == 5:
            all_fast_arrived.set()
        return Response("ok")

    def slow(request):
        slow_waited.append(all_fast_arrived.wait(GUARD_S))
        return Response("finally")

    second_server.expect_request("/slow").respond_with_handler(slow)
    httpserver.expect_request("/fast").respond_with_handler(fast)
    due(WebhookFactory(url=second_server.url_for("/slow")), 1)
    due(WebhookFactory(url=httpserver.url_for("/fast")), 5)

    # when the engine sends all six
    assert engine.drain_due_deliveries() == 6

    # then the others went out while the slow one was waiting, and all were delivered
    assert slow_waited == [True]
    assert sorted(fast_arrived.values()) == [1] * 5
    statuses = Counter(Delivery.objects.values_list("status", flat=True))
    assert statuses == {DeliveryStatus.DELIVERED: 6}


def test_an_endpoints_deliveries_start_oldest_first(httpserver):
    httpserver.expect_request("/hook").respond_with_data("ok")
    sent = due(WebhookFactory(url=httpserver.url_for("/hook")), 30)
    assert engine.drain_due_deliveries() == 30
    started = DeliveryAttempt.objects.order_by("started_at", "pk").values_list("delivery_id")
    assert [delivery_id for (delivery_id,) in started] == [d.pk for d in sent]


def test_the_in_flight_cap_counts_every_workers_sends(settings):
    # given an endpoint with a cap of 3, two of its deliveries in flight at another worker
    settings.WEBHOOKS_ENDPOINT_MAX_IN_FLIGHT = 3
    busy = WebhookFactory()
    lease_elsewhere(due(busy, 2))
    waiting = due(busy, 5)

    # when a worker claims, then claims again
    first = claims.claim_due_deliveries(limit=100)
    second = claims.claim_due_deliveries(limit=100)

    # then only one more of the endpoint's deliveries was claimed, the oldest
    assert [d.pk for d in first.deliveries] == [waiting[0].pk]
    assert second.deliveries == [] and second.at_cap == {busy.pk}


def test_an_endpoint_at_its_cap_lets_the_others_past(settings):
    # given an endpoint at its cap with a backlog older than another endpoint's delivery
    settings.WEBHOOKS_ENDPOINT_MAX_IN_FLIGHT = 2
    busy = WebhookFactory()
    lease_elsewhere(due(busy, 2))
    due(busy, 300)
    other = due(WebhookFactory(), 1)

    # when a worker claims
    claimed = claims.claim_due_deliveries(limit=10).deliveries

    # then it takes the other endpoint's delivery, not one of the backlog's
    assert [d.pk for d in claimed] == [other[0].pk]


def test_a_claim_takes_at_most_the_cap_of_one_endpoints_backlog(settings):
    settings.WEBHOOKS_ENDPOINT_MAX_IN_FLIGHT = 4
    backlog = due(WebhookFactory(), 50)
    newer = due(WebhookFactory(), 3)
    claimed = {d.pk for d in claims.claim_due_deliveries(limit=100).deliveries}
    assert claimed == {d.pk for d in backlog[:4] + newer[:3]}


def test_sends_that_cannot_start_in_time_are_released_unattempted(httpserver, monkeypatch):
    # given sends that would start after their start limit (an overloaded worker)
    monkeypatch.setattr(engine, "START_LIMIT_S", -1)
    httpserver.expect_request("/hook").respond_with_data("ok")
    due(WebhookFactory(url=httpserver.url_for("/hook")), 3)

    # when the engine claims them
    assert engine.drain_due_deliveries() == 3

    # then none was sent, and all are due again at once, with no attempt recorded
    assert httpserver.log == []
    for one in Delivery.objects.all():
        assert (one.status, one.attempt_count, one.lease_expires_at) == (
            DeliveryStatus.PENDING,
            0,
            None,
        )
        assert not one.attempts.exists()
    assert len(claims.due_times(limit=10)) == 3


def test_send_now_sends_one_delivery_whatever_its_endpoints_cap(httpserver, settings):
    # given an endpoint at its cap
    settings.WEBHOOKS_ENDPOINT_MAX_IN_FLIGHT = 1
    httpserver.expect_request("/hook").respond_with_data("hello")
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    lease_elsewhere(due(webhook, 1))
    wanted = due(webhook, 1)[0]
    # when the operator's send-now sends one of its deliveries
    engine.send_delivery_now(wanted.pk)
    # then it went out and its answer is recorded
    wanted.refresh_from_db()
    assert wanted.status == DeliveryStatus.DELIVERED
    assert wanted.attempts.get().response_body == "hello"


def test_an_endpoint_that_answers_quickly_may_have_a_burst_in_flight(settings):
    # given a small cap, a larger one for quick endpoints, and two endpoints' backlogs
    settings.WEBHOOKS_ENDPOINT_MAX_IN_FLIGHT = 2
    settings.WEBHOOKS_QUICK_ENDPOINT_MAX_IN_FLIGHT = 5
    unproven, quick = WebhookFactory(), WebhookFactory(answers_quickly=True)
    due(unproven, 10)
    due(quick, 10)
    # when a worker claims
    claimed = Counter(d.webhook_id for d in claims.claim_due_deliveries(limit=100).deliveries)
    # then each got its own cap
    assert claimed == {unproven.pk: 2, quick.pk: 5}


def test_recording_learns_whether_an_endpoint_answers_quickly(httpserver, settings):
    settings.WEBHOOKS_REQUEST_TIMEOUT_S = 0.5
    slow, released, answered = threading.Event(), threading.Event(), threading.Event()

    def answer(request):
        if slow.is_set():
            released.wait(GUARD_S)  # past the timeout, until the test lets it go
            answered.set()
        return Response("ok")

    httpserver.expect_request("/hook").respond_with_handler(answer)
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    due(webhook, 2)
    engine.drain_due_deliveries()
    webhook.refresh_from_db()
    assert webhook.answers_quickly
    slow.set()
    due(webhook, 1)
    engine.drain_due_deliveries()
    webhook.refresh_from_db()
    released.set()
    assert answered.wait(GUARD_S)  # the server is free again for the next test
    assert not webhook.answers_quickly
