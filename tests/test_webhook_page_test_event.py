"""Test events: the page offers the types the webhook's format sends, shows the exact
request before it goes (built from the station's own recent data when there is some),
sends it with `webhook-test: true`, never waits on a hanging receiver for long nor leaves
a lease behind, and keeps tests out of success rates."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.factories import ProgramFactory, WebhookFactory
from tests.stream_servers import RawServer, never_answer
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery, DeliveryStat

pytestmark = pytest.mark.django_db


def _page(webhook) -> str:
    return reverse("admin:webhooks_webhook_send_test", args=[webhook.pk])


def _messages(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


@pytest.fixture
def webhook(httpserver):
    httpserver.expect_request("/hook").respond_with_data("thanks")
    return WebhookFactory(url=httpserver.url_for("/hook"))


def test_the_page_shows_a_real_recent_track_before_sending(admin_client, webhook, httpserver):
    # given a track the station really played
    webhook.station.track_plays.create(title="Blue Monday", artist="New Order", duration=447)
    # when the operator opens the test page
    page = admin_client.get(_page(webhook)).content.decode()
    # then it shows where the payload comes from and the request itself, unsent
    assert "the last track played (New Order – Blue Monday)" in page
    assert "&quot;title&quot;: &quot;Blue Monday&quot;" in page
    assert "webhook-test" in page and f"POST {webhook.url}" in page
    assert '<option value="station.encoder.statuschange"' in page  # native sends every type
    assert httpserver.log == [] and not Delivery.objects.exists()
    # when it is sent
    response = admin_client.post(_page(webhook), {"event_type": webhook.event_type}, follow=True)
    # then the receiver got that track, marked as a test
    assert "HTTP 200" in _messages(response)
    request, _ = httpserver.log[0]
    assert request.headers["webhook-test"] == "true"
    assert request.get_json()["track"]["title"] == "Blue Monday"
    sent = Delivery.objects.get()
    assert sent.event.is_test and sent.status == DeliveryStatus.DELIVERED
    (entry,) = LogEntry.objects.filter(object_id=str(webhook.pk))
    assert entry.get_change_message() == "Sent a test event (station.studio.newtrack)."
    # and the test is left out of the webhook's success rate
    assert not DeliveryStat.objects.filter(webhook=webhook).exclude(delivered=0).exists()


def test_without_data_of_its_own_the_test_uses_a_sample(admin_client, webhook):
    page = admin_client.get(_page(webhook)).content.decode()
    assert "a sample (the station has none of its own yet)" in page
    assert "Test Track" in page


def test_another_event_type_can_be_chosen(admin_client, webhook, httpserver):
    webhook.station.encoders.create(name="Studio A")
    page = admin_client.get(_page(webhook), {"event_type": "station.encoder.statuschange"})
    assert "encoder Studio A" in page.content.decode()
    admin_client.post(_page(webhook), {"event_type": "station.encoder.statuschange"})
    request, _ = httpserver.log[0]
    assert request.get_json()["event"] == "station.encoder.statuschange"
    assert request.get_json()["encoder"]["name"] == "Studio A"


def test_a_push_test_is_about_the_stations_latest_change(admin_client, httpserver):
    httpserver.expect_request("/push").respond_with_data("ok")
    webhook = WebhookFactory(url=httpserver.url_for("/push"), event_type="push")
    program = ProgramFactory(station=webhook.station, title="Morning Show")
    page = admin_client.get(_page(webhook)).content.decode()
    assert f"Program {program.pk} (Morning Show)" in page
    admin_client.post(_page(webhook))
    request, _ = httpserver.log[0]
    body = request.get_json()
    assert (body["model"], body["model_id"], body["action"]) == (
        "program",
        program.pk,
        "update",
    )


def test_a_hanging_receiver_costs_seconds_and_leaves_no_lease(admin_client, monkeypatch):
    monkeypatch.setattr("webhooks.services.TEST_EVENT_TIMEOUT_S", 1.0)
    with RawServer(never_answer) as hanging:
        webhook = WebhookFactory(url=hanging.url("/hook"))
        response = admin_client.post(_page(webhook), follow=True)
    assert response.status_code == 200
    sent = Delivery.objects.get()
    assert sent.attempt_count == 1 and sent.lease_expires_at is None  # the engine may retry
    assert "no complete answer within 1 s" in _messages(response)


def test_the_bulk_action_queues_instead_of_waiting(
    admin_client, webhook, httpserver, capture_on_commit
):
    other = WebhookFactory(station=webhook.station, url=httpserver.url_for("/hook"))
    with capture_on_commit(execute=True):
        response = admin_client.post(
            reverse("admin:webhooks_webhook_changelist"),
            {"action": "send_test_event", "_selected_action": [webhook.pk, other.pk]},
            follow=True,
        )
    assert "2 test event(s) queued" in _messages(response)
    assert [r.headers["webhook-test"] for r, _ in httpserver.log] == ["true", "true"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


def test_a_test_event_to_a_disabled_webhook_says_why(admin_client, webhook):
    webhook.enabled = False
    webhook.save()
    response = admin_client.post(_page(webhook), follow=True)
    assert "not sent: Webhook is disabled." in _messages(response)
