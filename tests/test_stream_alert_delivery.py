"""End to end: the monitor finds a stream down, the grace period passes, and the contact
webhook receives exactly one signed down alert through the real delivery engine; then
the stream comes back and it receives one up alert."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook as StandardWebhook

from stations import monitor
from tests.audio_helpers import tone
from tests.factories import AlertPolicyFactory, StationFactory, StreamFactory, WebhookFactory
from webhooks.alerts import evaluate_alert_policies
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monitor_settings(settings):
    settings.STREAM_MONITOR_TIMEOUT_S = 2.0
    settings.STREAM_MONITOR_ALLOW_PRIVATE_TARGETS = True
    settings.STREAM_MONITOR_INTERVAL_S = 0  # every run checks every stream


def test_down_after_the_grace_period_then_up(httpserver, capture_on_commit):
    # given: a stream whose mount is gone, and a policy with a 5-minute grace period
    station = StationFactory(name="Example FM")
    httpserver.expect_request("/mount").respond_with_data("gone", status=404)
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    stream = StreamFactory(
        station=station, name="Stream 1", listening_url=httpserver.url_for("/mount")
    )
    contact = WebhookFactory(
        station=station, event_type="stream.alert", url=httpserver.url_for("/hook")
    )
    AlertPolicyFactory(station=station, grace_minutes=5, contacts=[contact])

    # when: the monitor checks twice inside the grace period
    with capture_on_commit(execute=True):
        monitor.check_due_streams()
        monitor.check_due_streams()
    assert _hooks(httpserver) == []
    # ... the grace period passes (the tick), and later ticks and checks go on
    with capture_on_commit(execute=True):
        evaluate_alert_policies(now=timezone.now() + timedelta(minutes=5, seconds=1))
        evaluate_alert_policies(now=timezone.now() + timedelta(minutes=6))
        monitor.check_due_streams()

    # then: exactly one down alert arrived, signed, with the seed's shape
    [down] = _hooks(httpserver)
    body = json.loads(down.get_data())
    assert body["summary"] == "Example FM Alert: Stream 1 is down"
    assert body["event"] == {
        "type": "down",
        "stream": {
            "id": str(stream.uuid),
            "name": "Stream 1",
            "listening_url": httpserver.url_for("/mount"),
        },
        "station": {"id": str(station.uuid), "name": "Example FM"},
    }
    StandardWebhook(contact.secret).verify(down.get_data(), dict(down.headers))
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED

    # when: the mount is back
    httpserver.clear_all_handlers()
    httpserver.expect_request("/mount").respond_with_data(tone("mp3"), content_type="audio/mpeg")
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    with capture_on_commit(execute=True):
        monitor.check_due_streams()
        monitor.check_due_streams()
    # then: one up alert
    hooks = _hooks(httpserver)
    assert [json.loads(r.get_data())["event"]["type"] for r in hooks] == ["down", "up"]
    assert not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()


def _hooks(httpserver):
    return [request for request, _ in httpserver.log if request.path == "/hook"]
