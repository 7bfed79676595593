"""report_stream_status(): what the inbound stream-status hook calls. Reports are
recorded as checks and feed the same alert state machine as the monitor."""

import json

import pytest

from stations.choices import CheckSource
from stations.monitor import report_stream_status
from tests.factories import AlertPolicyFactory, StreamFactory, WebhookFactory
from webhooks.event_types import STREAM_ALERT
from webhooks.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def stream():
    return StreamFactory(name="Stream 1")


@pytest.fixture
def policy(stream):
    contact = WebhookFactory(station=stream.station, event_type=STREAM_ALERT.name)
    return AlertPolicyFactory(station=stream.station, grace_minutes=0, contacts=[contact])


def alert_bodies() -> list[dict]:
    return [json.loads(e.body) for e in Event.objects.order_by("pk")]


def test_a_report_is_recorded_as_an_external_check(stream):
    check = report_stream_status(stream=stream, is_up=False, reason="Encoder lost its input")
    assert check.source == CheckSource.EXTERNAL and not check.is_up
    assert check.reason == "Encoder lost its input" and check.latency_ms is None
    assert stream.is_up is False and stream.state_changed_at == check.checked_at
    assert stream.last_check_reason == "Encoder lost its input"
    assert stream.last_monitored_at is None  # the monitor's own schedule is untouched


def test_reports_drive_the_alert_state_machine(stream, policy):
    report_stream_status(stream=stream, is_up=False)
    report_stream_status(stream=stream, is_up=False)
    report_stream_status(stream=stream, is_up=True)
    assert [(b["event"]["type"], b["event"]["stream"]["name"]) for b in alert_bodies()] == [
        ("down", "Stream 1"),
        ("up", "Stream 1"),
    ]


def test_reported_silence_is_down_when_silence_detection_is_on(stream, policy):
    stream.silence_detection = True
    stream.save()
    check = report_stream_status(stream=stream, is_up=True, silence=True)
    assert not check.is_up and check.silence is True
    assert stream.is_up is False and stream.is_silent is True
    [alert] = alert_bodies()
    assert alert["event"]["type"] == "down" and alert["event"]["stream"]["silence"] is True


def test_reported_silence_is_ignored_when_silence_detection_is_off(stream, policy):
    check = report_stream_status(stream=stream, is_up=True, silence=True)
    assert check.is_up and check.silence is True  # recorded as reported
    assert stream.is_up is True and stream.is_silent is None
    assert alert_bodies() == []


def test_the_monitor_can_be_named_as_the_source(stream):
    check = report_stream_status(stream=stream, is_up=True, source="monitor")
    assert check.source == CheckSource.MONITOR


def test_an_unknown_source_is_refused(stream):
    with pytest.raises(ValueError):
        report_stream_status(stream=stream, is_up=True, source="carrier-pigeon")
    assert not stream.checks.exists()
