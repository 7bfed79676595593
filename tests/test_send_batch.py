"""One batch of deliveries: sent without one slow receiver holding up the others, within
the send budget, every outcome recorded on its own delivery; the sessions' use of the
environment (proxies, CA bundle, no ~/.netrc)."""

import threading
from collections import Counter
from urllib.parse import urlsplit

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.factories import WebhookFactory
from tests.webhook_helpers import publish_track_unqueued
from webhooks import delivery
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery

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


def test_a_slow_receiver_does_not_hold_up_the_rest_of_the_batch(httpserver, second_server):
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
    publish_track_unqueued(WebhookFactory(url=second_server.url_for("/slow")))
    fast_webhook = WebhookFactory(url=httpserver.url_for("/fast"))
    for _ in range(5):
        publish_track_unqueued(fast_webhook)

    # when one batch sends all six
    assert delivery.send_deliveries() == 6

    # then the others went out while the slow one was waiting, and all were delivered
    assert slow_waited == [True]
    assert sorted(fast_arrived.values()) == [1] * 5
    statuses = Counter(Delivery.objects.values_list("status", flat=True))
    assert statuses == {DeliveryStatus.DELIVERED: 6}


def test_sends_not_started_within_the_budget_are_released_unattempted(httpserver, settings):
    # given a send budget that is over before the first send
    settings.WEBHOOKS_SEND_BUDGET_S = -1
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    for _ in range(3):
        publish_track_unqueued(webhook)

    # when a batch claims them
    assert delivery.send_deliveries() == 3

    # then none was sent, and all are due again at once, with no attempt recorded
    assert httpserver.log == []
    for one in Delivery.objects.all():
        assert (one.status, one.attempt_count, one.lease_expires_at) == (
            DeliveryStatus.PENDING,
            0,
            None,
        )
        assert not one.attempts.exists()
    assert delivery.due_times(limit=10)


@pytest.fixture
def fresh_proxy_lookups():
    delivery._proxies_for.cache_clear()
    yield
    delivery._proxies_for.cache_clear()


def test_the_ca_bundle_is_read_once_and_requests_skips_the_environment(monkeypatch):
    # given
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/bench-ca.pem")
    session = requests.Session()
    # when
    delivery._read_environment_once(session)
    # then requests makes no per-request environment lookups but keeps the CA bundle
    assert session.trust_env is False
    assert session.verify == "/etc/ssl/certs/bench-ca.pem"


def test_deliveries_go_through_the_environments_proxy(httpserver, monkeypatch, fresh_proxy_lookups):
    # given a proxy in the environment (the test receiver plays it)
    monkeypatch.setenv("HTTP_PROXY", httpserver.url_for("/").rstrip("/"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    httpserver.expect_request("/hook").respond_with_data("ok")
    publish_track_unqueued(WebhookFactory(url="http://receiver.invalid/hook"))
    # when
    delivery.send_deliveries()
    # then the request went to the proxy, for the receiver
    request, _ = httpserver.log[0]
    assert request.headers["Host"] == "receiver.invalid"
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED


def test_no_proxy_exempts_a_receiver(monkeypatch, fresh_proxy_lookups):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "hooks.internal")
    assert delivery._proxies_for("https://example.org")["https"] == "http://proxy.internal:3128"
    assert delivery._proxies_for("https://hooks.internal") == {}


def test_receivers_never_get_netrc_credentials(httpserver, tmp_path, monkeypatch):
    # given a ~/.netrc entry for the receiver's host
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine {urlsplit(webhook.url).hostname} login operator password hunter2\n")
    monkeypatch.setenv("NETRC", str(netrc))
    httpserver.expect_request("/hook").respond_with_data("ok")
    publish_track_unqueued(webhook)
    # when
    delivery.send_deliveries()
    # then
    request, _ = httpserver.log[0]
    assert "Authorization" not in request.headers


def test_a_receivers_cookies_are_never_sent_back(httpserver):
    # given a receiver that sets a cookie on its first answer
    httpserver.expect_ordered_request("/hook").respond_with_response(
        Response("ok", headers={"Set-Cookie": "session=abc; Path=/"})
    )
    httpserver.expect_ordered_request("/hook").respond_with_data("ok")
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))

    # when two deliveries go out, one after the other, on the same keep-alive session
    for _ in range(2):
        publish_track_unqueued(webhook)
        assert delivery.send_deliveries() == 1

    # then neither carries a cookie: each send is prepared on its own, with the headers
    # a session adds (Accept, Accept-Encoding, Connection) and ours
    for request, _ in httpserver.log:
        assert "Cookie" not in request.headers
        assert request.headers["Accept"] == "*/*"
        assert request.headers["User-Agent"].startswith("StationHooks/")
        assert request.headers["webhook-id"].startswith("msg_")
