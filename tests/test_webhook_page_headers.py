"""Custom headers: set on the webhook form, checked (header-name syntax, none of the
hub's own), sent on every request to a real receiver under the hub's own headers, and
masked wherever a value looks like a credential."""

import pytest
from django.urls import reverse

from tests.factories import StationFactory
from tests.webhook_helpers import publish_track
from webhooks import custom_headers, transport
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db

TOKEN = "Bearer 3f9c1d2e8a7b6c5d4e3f2a1b"


def _form(station, url: str, headers: str, **extra) -> dict:
    return {
        "station": station.pk,
        "name": "Widget",
        "url": url,
        "event_type": "station.studio.newtrack",
        "enabled": "on",
        "delay_s": 0,
        "throttle_s": 0,
        "debounce_s": 0,
        "headers": headers,
        **extra,
    }


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("Bad Name: x", "is not a header name"),
        ("webhook-signature: v1,forged", "set by the hub itself"),
        ("X-Webhook-Signature: forged", "set by the hub itself"),
        ("content-type: text/plain", "set by the hub itself"),
        ("API-Key: other", "set by the hub itself"),
        ("no colon here", "write “Name: value”"),
        ("X-Bell: a\x07b", "control character"),
    ],
)
def test_refused_headers(admin_client, httpserver, line, problem):
    response = admin_client.post(
        reverse("admin:webhooks_webhook_add"),
        _form(StationFactory(), httpserver.url_for("/hook"), f"X-Tenant: radio-1\n{line}"),
    )
    assert response.status_code == 200 and problem in response.content.decode()
    assert not Webhook.objects.exists()


def test_sent_on_every_request_and_masked_where_shown(admin_client, httpserver, capture_on_commit):
    # given a webhook with two headers, one of them a credential
    httpserver.expect_request("/hook").respond_with_data("ok")
    admin_client.post(
        reverse("admin:webhooks_webhook_add"),
        _form(
            StationFactory(),
            httpserver.url_for("/hook"),
            f"X-Tenant: radio-1\nAuthorization: {TOKEN}",
        ),
    )
    webhook = Webhook.objects.get()
    assert webhook.headers_list() == [("X-Tenant", "radio-1"), ("Authorization", TOKEN)]
    # when an event goes out
    delivery = publish_track(webhook, capture_on_commit)
    # then the receiver got both, with the hub's own headers intact
    request, _ = httpserver.log[0]
    assert request.headers["X-Tenant"] == "radio-1"
    assert request.headers["Authorization"] == TOKEN
    assert request.headers["webhook-signature"].startswith("v1,")
    # and neither the form nor the delivery log shows the credential
    change = reverse("admin:webhooks_webhook_change", args=[webhook.pk])
    detail = reverse("admin:webhooks_delivery_change", args=[delivery.pk])
    for url in (change, detail):
        page = admin_client.get(url).content.decode()
        assert TOKEN not in page and "radio-1" in page and "…2a1b" in page
    # when the operator saves the form with the masked value left as it is
    page_value = custom_headers.shown_lines(webhook.headers_list())
    assert TOKEN not in page_value
    form = _form(webhook.station, webhook.url, page_value + "\nX-Extra: 2", new_secret="")
    admin_client.post(change, form)
    # then the credential is kept
    webhook.refresh_from_db()
    assert webhook.headers_list()[1] == ("Authorization", TOKEN)
    assert webhook.headers_list()[2] == ("X-Extra", "2")


def test_our_headers_win_whatever_the_case():
    _, problems = custom_headers.parse("Webhook-Id: mine", stored=[])
    assert problems == ["Webhook-Id is set by the hub itself and cannot be overridden."]


def test_at_send_time_the_hubs_own_headers_win_over_stored_ones():
    request = transport.OutgoingRequest(
        delivery_id=1,
        url="http://127.0.0.1:9/hook",
        body=b"{}",
        message_id="msg_1",
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        key="",
        custom_headers=(("content-type", "text/plain"), ("X-Session-Token", "abcdefgh12345678")),
        is_test=True,
    )
    sent, logged = transport.request_headers(request, timestamp=1, user_agent="StationHooks/t")
    assert sent["Content-Type"] == "application/json" and "content-type" not in sent
    assert sent["X-Session-Token"] == "abcdefgh12345678"
    assert logged["X-Session-Token"] == "…5678" and sent["webhook-test"] == "true"
