"""The event-type registry: each type's test event body comes from the same builder as
its real events, and a new type plugs in (choices, publishing, the admin form) without a
migration or a branch anywhere."""

import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from tests.factories import EncoderFactory, StationFactory, StreamFactory, WebhookFactory
from webhooks import event_types
from webhooks.event_types import ENCODER_STATUS, NEWTRACK, PUSH, STREAM_ALERT, EventType
from webhooks.models import Delivery, Event, Webhook
from webhooks.publish import publish_event
from webhooks.services import webhook_send_test_event

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 26, 14, 30, tzinfo=UTC)


def sample_body(webhook, actor=None) -> dict:
    event_type = event_types.get(webhook.event_type)
    return event_type.build(event_type.sample(webhook=webhook, actor=actor, now=NOW))


def test_the_types_are_registered_under_their_wire_names():
    assert event_types.choices() == [
        ("push", "Push messages (RadioManager)"),
        ("station.studio.newtrack", "station.studio.newtrack"),
        ("station.encoder.statuschange", "station.encoder.statuschange"),
        ("stream.alert", "Stream alert contact (Radio Mast)"),
        ("inbound.relay", "Relay of an inbound source (generic, Standard Webhooks)"),
    ]


def test_push_sample_is_an_update_of_the_first_watched_model_by_the_operator(admin_user):
    webhook = WebhookFactory(event_type=PUSH.name, models=["broadcast", "item"])
    assert sample_body(webhook, admin_user) == {
        "action": "update",
        "model": "broadcast",
        "model_id": 0,
        "job_id": 0,
        "resync": False,
        "station_id": webhook.station_id,
        "user_id": admin_user.pk,
        "api_id": None,
    }


def test_newtrack_sample():
    station = StationFactory(name="Radio X")
    assert sample_body(WebhookFactory(station=station, event_type=NEWTRACK.name)) == {
        "event": "station.studio.newtrack",
        "timestamp": "2026-01-26T14:30:00Z",
        "station": {"id": station.public_id, "name": "Radio X"},
        "track": {
            "id": "med_test",
            "title": "Test Track",
            "artist": "StationHooks",
            "album": "Test Events",
            "duration": 180,
        },
    }


def test_encoder_sample_uses_the_stations_encoder_or_a_test_one():
    webhook = WebhookFactory(event_type=ENCODER_STATUS.name)
    assert sample_body(webhook)["encoder"] == {
        "id": "enc_test",
        "name": "Test Encoder",
        "status": "connected",
        "previousStatus": "disconnected",
    }
    encoder = EncoderFactory(station=webhook.station, name="Studio A", status="error")
    assert sample_body(webhook)["encoder"] == {
        "id": encoder.public_id,
        "name": "Studio A",
        "status": "connected",
        "previousStatus": "disconnected",
    }


def test_alert_sample_uses_the_stations_stream_not_silent():
    webhook = WebhookFactory(event_type=STREAM_ALERT.name)
    assert sample_body(webhook)["event"]["stream"] is None
    assert sample_body(webhook)["summary"].endswith("Alert: All streams are down")
    stream = StreamFactory(station=webhook.station, silence_detection=True, is_silent=True)
    assert sample_body(webhook)["event"]["stream"] == {
        "id": str(stream.uuid),
        "name": stream.name,
        "listening_url": stream.listening_url,
        "silence": False,
    }


def test_the_receiver_gets_the_sample_as_the_test_event(admin_user, httpserver):
    webhook = WebhookFactory(event_type=NEWTRACK.name, url=httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook_send_test_event(webhook=webhook, actor=admin_user)
    (request, _response) = httpserver.log[0]
    body = json.loads(request.get_data())
    assert body["track"]["title"] == "Test Track" and body["event"] == NEWTRACK.name


@pytest.fixture
def relay(monkeypatch):
    """A new event type, registered for this test only: the body is the request as it
    came, to the station's relay webhooks whose name it names."""
    monkeypatch.setattr(event_types, "_registry", dict(event_types._registry))
    return event_types.register(
        EventType(
            name="relay.request",
            label="Relayed requests",
            build=lambda request: dict(request["body"]),
            sample=lambda *, webhook, actor, now: {"station_id": webhook.station_id, "body": {}},
            accepts=lambda webhook, request: webhook.name == request["to"],
        )
    )


class Relayed(dict):
    @property
    def station_id(self) -> int:
        return self["station_id"]


def test_a_new_type_plugs_in_without_a_migration_or_a_branch(relay, admin_client):
    # given two webhooks of the new type, picked in the admin's own form
    station = StationFactory()
    for name in ("Archive", "Elsewhere"):
        response = admin_client.post(
            reverse("admin:webhooks_webhook_add"),
            {
                "station": station.pk,
                "name": name,
                "url": "http://127.0.0.1:9/relay",
                "event_type": relay.name,
                "enabled": "on",
                "delay_s": 0,
                "throttle_s": 0,
                "debounce_s": 0,
            },
        )
        assert response.status_code == 302
    # when an event of it is published
    subject = Relayed(station_id=station.pk, to="Archive", body={"hello": "world"})
    event = publish_event(relay, subject, queue_work=False)
    # then it went, with its own body, to the webhook it accepts only
    assert Event.objects.get().event_type == relay.name
    assert json.loads(event.body) == {"hello": "world"}
    assert [d.webhook.name for d in Delivery.objects.all()] == ["Archive"]
    assert Webhook._meta.get_field("event_type").flatchoices[-1] == (relay.name, relay.label)


def test_a_name_is_registered_once(relay):
    with pytest.raises(ValueError, match="registered already"):
        event_types.register(relay)


def test_pacing_options_follow_the_registry(admin_client):
    response = admin_client.post(
        reverse("admin:webhooks_webhook_add"),
        {
            "station": StationFactory().pk,
            "name": "Scheduler",
            "url": "http://127.0.0.1:9/push",
            "event_type": PUSH.name,
            "enabled": "on",
            "delay_s": 0,
            "throttle_s": 10,
            "debounce_s": 5,
        },
    )
    errors = response.context["adminform"].form.errors
    assert errors["throttle_s"] == ["Throttling applies to station.studio.newtrack webhooks only."]
    assert "debounce_s" not in errors
