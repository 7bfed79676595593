"""xtra's own webhooks at the gateway: a new track becomes a track play and the hub's
`station.studio.newtrack`, an encoder status the encoder's status and, only when it
changed, `station.encoder.statuschange`; the request and its events point at each other."""

import json

import pytest

from stations.models import Encoder, TrackPlay
from tests.factories import EncoderFactory, InboundSourceFactory, StationFactory, WebhookFactory
from tests.inbound_helpers import (
    XTRA_ENCODER_STATUSCHANGE,
    XTRA_NEWTRACK,
    as_bytes,
    post,
    xtra_headers,
)
from tests.xtra_examples import assert_same_shape_as_example
from webhooks.models import Event, InboundRequest

pytestmark = pytest.mark.django_db

SECRET = "xtra-shared-secret-1"


@pytest.fixture
def station():
    return StationFactory(name="Radio Example")


@pytest.fixture
def source(station):
    return InboundSourceFactory(station=station, kind="xtra", secret=SECRET)


def send(client, source, payload, capture_on_commit):
    body = as_bytes(payload)
    with capture_on_commit(execute=True):
        return post(client, source, body, xtra_headers(body, SECRET))


def received(httpserver) -> list[dict]:
    return [json.loads(request.get_data()) for request, _ in httpserver.log]


def test_a_new_track_reaches_the_stations_now_playing_webhook(
    client, station, source, httpserver, capture_on_commit
):
    # given a now-playing webhook of the same station
    httpserver.expect_request("/now-playing").respond_with_data("ok")
    WebhookFactory(
        station=station,
        event_type="station.studio.newtrack",
        url=httpserver.url_for("/now-playing"),
    )
    # when xtra reports the documented track
    assert send(client, source, XTRA_NEWTRACK, capture_on_commit).status_code == 202
    # then the play is recorded as xtra said it, and the receiver gets the hub's event
    play = TrackPlay.objects.get()
    assert (play.title, play.artist, play.album, play.duration) == (
        "Hey Jude",
        "The Beatles",
        "Past Masters",
        431,
    )
    assert (play.source, play.external_id) == ("xtra", "med_xyz789")
    assert play.played_at.isoformat() == "2026-01-26T14:30:00+00:00"
    (body,) = received(httpserver)
    assert body["track"] == {
        "id": play.public_id,
        "title": "Hey Jude",
        "artist": "The Beatles",
        "album": "Past Masters",
        "duration": 431,
    }
    assert body["station"] == {"id": station.public_id, "name": "Radio Example"}
    assert body["timestamp"] == "2026-01-26T14:30:00Z"
    assert_same_shape_as_example(body, XTRA_NEWTRACK)
    # and the request and its event point at each other
    request = InboundRequest.objects.get()
    event = Event.objects.get()
    assert event.inbound_request == request
    assert list(request.events.all()) == [event]


def test_a_track_without_a_timestamp_plays_when_it_arrived(client, source, capture_on_commit):
    payload = {"event": "station.studio.newtrack", "track": {"title": "Station ID"}}
    send(client, source, payload, capture_on_commit)
    play = TrackPlay.objects.get()
    assert play.played_at == InboundRequest.objects.get().received_at
    assert (play.artist, play.album, play.duration, play.external_id) == ("", "", 0, "")


def test_an_encoder_status_creates_the_encoder_then_raises_only_changes(
    client, station, source, httpserver, capture_on_commit
):
    httpserver.expect_request("/encoders").respond_with_data("ok")
    WebhookFactory(
        station=station,
        event_type="station.encoder.statuschange",
        url=httpserver.url_for("/encoders"),
    )
    # when xtra reports the documented change for an encoder the hub has not seen
    send(client, source, XTRA_ENCODER_STATUSCHANGE, capture_on_commit)
    # then the encoder exists with xtra's id and its new status, and the change went out
    encoder = Encoder.objects.get()
    assert (encoder.public_id, encoder.name, encoder.status) == (
        "enc_def456",
        "Main Stream",
        "connected",
    )
    (body,) = received(httpserver)
    assert body["encoder"] == {
        "id": "enc_def456",
        "name": "Main Stream",
        "status": "connected",
        "previousStatus": "disconnected",
    }
    assert_same_shape_as_example(body, XTRA_ENCODER_STATUSCHANGE)
    # when the same status comes again (another report, a new timestamp)
    repeated = {**XTRA_ENCODER_STATUSCHANGE, "timestamp": "2026-01-26T14:31:00Z"}
    assert send(client, source, repeated, capture_on_commit).status_code == 202
    # then nothing more is raised, and the request is processed all the same
    assert len(received(httpserver)) == 1
    assert InboundRequest.objects.order_by("pk").last().status == "processed"


def test_an_encoder_is_found_by_its_id_or_its_name(
    client, station, source, httpserver, capture_on_commit
):
    httpserver.expect_request("/encoders").respond_with_data("ok")
    WebhookFactory(
        station=station,
        event_type="station.encoder.statuschange",
        url=httpserver.url_for("/encoders"),
    )
    by_name = EncoderFactory(station=station, name="Backup", status="connected")
    payload = {
        "event": "station.encoder.statuschange",
        "encoder": {"id": "xtra-77", "name": "Backup", "status": "error"},
    }
    send(client, source, payload, capture_on_commit)
    by_name.refresh_from_db()
    assert by_name.status == "error" and Encoder.objects.count() == 1
    (body,) = received(httpserver)
    assert body["encoder"]["previousStatus"] == "connected"
    assert body["encoder"]["id"] == by_name.public_id
