"""Stream alert bodies match Radio Mast's documented example key for key
(docs/payloads.md, "Stream alerts")."""

import json
import uuid
from datetime import UTC, datetime

import pytest

from stations import monitor
from stations.choices import CheckSource
from tests.factories import AlertPolicyFactory, StationFactory, StreamFactory, WebhookFactory
from tests.radiomast_examples import RADIO_MAST_EXAMPLE
from webhooks.choices import AlertType
from webhooks.event_types import STREAM_ALERT, StreamAlert
from webhooks.models import Event
from webhooks.payloads import alert_stream, alert_summary, encode_body, stream_alert

pytestmark = pytest.mark.django_db

EXAMPLE_TIME = datetime.fromtimestamp(1579728021, UTC)


@pytest.fixture
def example_station():
    return StationFactory(name="Example FM", uuid=uuid.UUID("fd75e020-9569-4e9a-af3f-a8e1ea9c87d3"))


@pytest.fixture
def example_stream(example_station):
    return StreamFactory(
        station=example_station,
        name="Stream 1",
        uuid=uuid.UUID("6ffd5f90-64dd-421d-b48a-349eee8ca535"),
        listening_url="http://yourstreamexample.com/mount",
        silence_detection=True,
        is_up=False,
        is_silent=True,
    )


def test_the_documented_example_key_for_key(example_stream):
    policy = AlertPolicyFactory(station=example_stream.station)
    payload = STREAM_ALERT.build(
        StreamAlert(
            station=policy.station,
            stream=example_stream,
            alert_type=AlertType.DOWN,
            at=EXAMPLE_TIME,
        )
    )
    example = json.loads(RADIO_MAST_EXAMPLE)
    assert payload == example
    # the same keys in the same order, at every level, and the same types
    assert json.dumps(payload) == json.dumps(example)
    assert isinstance(payload["timestamp"], int)


def test_the_published_body_is_the_documented_example(example_stream):
    # given: a policy with a contact, and the monitor finding the stream silent
    contact = WebhookFactory(station=example_stream.station, event_type=STREAM_ALERT.name)
    AlertPolicyFactory(station=example_stream.station, contacts=[contact])
    example_stream.is_up = None
    example_stream.save()
    # when
    monitor.record_check(
        stream_id=example_stream.pk,
        result=monitor.CheckResult(is_up=True, reason="Silence", silence=True),
        source=CheckSource.MONITOR,
        checked_at=EXAMPLE_TIME,
    )
    # then
    event = Event.objects.get()
    assert event.event_type == STREAM_ALERT.name
    assert event.body == encode_body(json.loads(RADIO_MAST_EXAMPLE))


def test_silence_key_only_when_silence_detection_is_on(example_stream):
    policy = AlertPolicyFactory(station=example_stream.station)
    example_stream.silence_detection = False
    payload = STREAM_ALERT.build(
        StreamAlert(
            station=policy.station,
            stream=example_stream,
            alert_type=AlertType.DOWN,
            at=EXAMPLE_TIME,
        )
    )
    assert payload["event"]["stream"] == {
        "id": "6ffd5f90-64dd-421d-b48a-349eee8ca535",
        "name": "Stream 1",
        "listening_url": "http://yourstreamexample.com/mount",
    }


def test_recovery_of_a_stream_with_silence_detection_says_silence_false(example_stream):
    policy = AlertPolicyFactory(station=example_stream.station)
    example_stream.is_up, example_stream.is_silent = True, False
    payload = STREAM_ALERT.build(
        StreamAlert(
            station=policy.station, stream=example_stream, alert_type=AlertType.UP, at=EXAMPLE_TIME
        )
    )
    assert payload["summary"] == "Example FM Alert: Stream 1 is up"
    assert payload["event"]["type"] == "up" and payload["event"]["stream"]["silence"] is False


def test_condition_all_sends_stream_null(example_station):
    policy = AlertPolicyFactory(station=example_station, condition="all")
    payload = STREAM_ALERT.build(
        StreamAlert(station=policy.station, stream=None, alert_type=AlertType.DOWN, at=EXAMPLE_TIME)
    )
    assert payload == {
        "timestamp": 1579728021,
        "summary": "Example FM Alert: All streams are down",
        "event": {
            "type": "down",
            "stream": None,
            "station": {"id": "fd75e020-9569-4e9a-af3f-a8e1ea9c87d3", "name": "Example FM"},
        },
    }
    assert '"stream":null' in encode_body(payload)


def test_builders_are_pure():
    stream = alert_stream(stream_id="s", name="Stream 1", listening_url="http://x/", silence=None)
    payload = stream_alert(
        timestamp=datetime(2026, 1, 26, 14, 30, 59, 999_000, tzinfo=UTC),
        event_type="down",
        station_id="st",
        station_name="Radio X",
        stream=stream,
    )
    assert payload["timestamp"] == 1769437859
    assert "silence" not in payload["event"]["stream"]


@pytest.mark.parametrize(
    ("stream_name", "event_type", "back_up", "still_down", "summary"),
    [
        ("Stream 1", "down", (), (), "Example FM Alert: Stream 1 is down"),
        (None, "down", (), (), "Example FM Alert: All streams are down"),
        (None, "up", ("Stream 1", "Stream 2"), (), "Example FM Alert: All streams are up"),
        (
            None,
            "up",
            ("Stream 2",),
            ("Stream 1",),
            "Example FM Alert: Stream 2 is up, Stream 1 still down",
        ),
        (
            None,
            "up",
            ("Stream 2", "Stream 3"),
            ("Stream 1",),
            "Example FM Alert: Stream 2, Stream 3 are up, Stream 1 still down",
        ),
    ],
)
def test_summary_in_radio_masts_words_never_all_up_while_one_is_down(
    stream_name, event_type, back_up, still_down, summary
):
    assert (
        alert_summary(
            station_name="Example FM",
            event_type=event_type,
            stream_name=stream_name,
            back_up=back_up,
            still_down=still_down,
        )
        == summary
    )
