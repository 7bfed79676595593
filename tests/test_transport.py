"""The transport's contract on the wire: our headers and a plain client's, never a
receiver's cookies or ~/.netrc credentials, the environment's proxy and CA bundle, and the
SSRF rule checked on every address it connects to."""

from urllib.parse import urlsplit

import pytest
from werkzeug import Response

from tests.factories import WebhookFactory
from tests.webhook_helpers import publish_track_unqueued
from webhooks import engine, transport
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_proxy_lookups():
    transport.proxy_for.cache_clear()
    yield
    transport.proxy_for.cache_clear()


def send_one(webhook) -> Delivery:
    sent = publish_track_unqueued(webhook).deliveries.get()
    assert engine.drain_due_deliveries() == 1
    sent.refresh_from_db()
    return sent


def test_deliveries_go_through_the_environments_proxy(httpserver, monkeypatch, fresh_proxy_lookups):
    # given a proxy in the environment (the test receiver plays it)
    monkeypatch.setenv("HTTP_PROXY", httpserver.url_for("/").rstrip("/"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    httpserver.expect_request("/hook").respond_with_data("ok")
    # when
    sent = send_one(WebhookFactory(url="http://receiver.invalid/hook"))
    # then the request went to the proxy, for the receiver
    request, _ = httpserver.log[0]
    assert request.headers["Host"] == "receiver.invalid"
    assert sent.status == DeliveryStatus.DELIVERED


def test_no_proxy_exempts_a_receiver(monkeypatch, fresh_proxy_lookups):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "hooks.internal")
    assert transport.proxy_for("https://example.org/hook") == "http://proxy.internal:3128"
    assert transport.proxy_for("https://hooks.internal/hook") is None


def test_the_ca_bundle_comes_from_the_environment(monkeypatch, tmp_path):
    # given a CA bundle named by the environment (a copy of the default one)
    bundle = tmp_path / "bench-ca.pem"
    bundle.write_text(open(transport.certifi.where()).read())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    monkeypatch.setattr(transport.certifi, "where", lambda: "/nonexistent")
    # when the transport builds its TLS context, it loads that bundle (the default
    # would fail), with verification on
    context = transport._ssl_context()
    assert context.verify_mode.name == "CERT_REQUIRED" and context.check_hostname


def test_receivers_never_get_netrc_credentials(httpserver, tmp_path, monkeypatch):
    # given a ~/.netrc entry for the receiver's host
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine {urlsplit(webhook.url).hostname} login operator password hunter2\n")
    monkeypatch.setenv("NETRC", str(netrc))
    httpserver.expect_request("/hook").respond_with_data("ok")
    # when
    send_one(webhook)
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

    # when two deliveries go out, one after the other, on the same keep-alive connections
    for _ in range(2):
        publish_track_unqueued(webhook)
    assert engine.drain_due_deliveries() == 2

    # then neither carries a cookie, and each has a plain client's headers and ours
    for request, _ in httpserver.log:
        assert "Cookie" not in request.headers
        assert request.headers["Accept"] == "*/*"
        assert request.headers["User-Agent"].startswith("StationHooks/")
        assert request.headers["webhook-id"].startswith("msg_")


def test_redirects_are_not_followed(httpserver):
    httpserver.expect_request("/hook").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/elsewhere")}
    )
    sent = send_one(WebhookFactory(url=httpserver.url_for("/hook")))
    assert [request.path for request, _ in httpserver.log] == ["/hook"]
    assert (sent.status, sent.last_status_code) == (DeliveryStatus.FAILED, 302)


def test_a_name_resolving_to_a_private_address_is_refused_at_send_time(httpserver, settings):
    # given a webhook saved while allowed, whose host name resolves to loopback now
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook = WebhookFactory(url=f"http://localhost:{httpserver.port}/hook")
    # when it is sent
    sent = send_one(webhook)
    # then nothing was connected to, and the delivery failed with the reason
    assert httpserver.log == []
    assert sent.status == DeliveryStatus.FAILED and sent.attempt_count == 1
    assert sent.last_error.startswith("Refused target: localhost: ")


def test_an_ipv4_compatible_loopback_address_is_refused_at_send_time(settings):
    # given a webhook stored with a URL the save-time check would have refused
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    webhook = WebhookFactory(url="http://[::127.0.0.1]:9/hook")
    # when it is sent, then the address is refused before any connection, for good
    sent = send_one(webhook)
    assert sent.status == DeliveryStatus.FAILED and sent.attempt_count == 1
    assert sent.last_error.startswith("Refused target: ::7f00:1")  # ::127.0.0.1, normalised
    assert sent.last_error.endswith("carries 127.0.0.1, a loopback address")
