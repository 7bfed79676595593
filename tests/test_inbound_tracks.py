"""Now playing: `POST /api/v1/studio/tracks/` records the play and a real receiver gets
`station.studio.newtrack` with the documented body (docs/payloads.md)."""

import json

import pytest
from django_q.models import OrmQ

from stations.inbound import track_plays_announce
from stations.models import TrackPlay
from tests.factories import StationFactory, WebhookFactory
from tests.xtra_examples import XTRA_NEWTRACK, assert_same_shape_as_example
from webhooks.models import Delivery, Event
from webhooks.payloads import iso_timestamp

pytestmark = pytest.mark.django_db

TRACKS = "/api/v1/studio/tracks/"
HEY_JUDE = {"title": "Hey Jude", "artist": "The Beatles", "album": "Past Masters", "duration": 431}


@pytest.fixture
def receiver(httpserver, api_key):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    return WebhookFactory(
        station=api_key.station,
        event_type="station.studio.newtrack",
        url=httpserver.url_for("/hook"),
    )


def _received(httpserver) -> list[dict]:
    return [json.loads(request.get_data()) for request, _ in httpserver.log]


def test_a_reported_track_reaches_the_receiver_with_the_documented_body(
    api_client, api_key, receiver, httpserver, capture_on_commit
):
    # when
    with capture_on_commit(execute=True):
        response = api_client.post(TRACKS, {**HEY_JUDE, "external_id": "rd-1"}, format="json")
    # then
    assert response.status_code == 201
    play = TrackPlay.objects.get()
    assert response.json() == {
        "id": play.public_id,
        **HEY_JUDE,
        "external_id": "rd-1",
        "played_at": response.json()["played_at"],
    }
    (body,) = _received(httpserver)
    assert body == {
        "event": "station.studio.newtrack",
        "timestamp": iso_timestamp(play.played_at),
        "station": {"id": api_key.station.public_id, "name": "Radio Example"},
        "track": {"id": play.public_id, **HEY_JUDE},
    }
    assert_same_shape_as_example(body, XTRA_NEWTRACK)
    assert play.public_id.startswith("med_") and play.source == "api"
    assert play.external_id == "rd-1" and play.station == api_key.station


def test_the_event_records_the_key_that_reported_it(
    api_client, api_key, receiver, capture_on_commit
):
    with capture_on_commit(execute=True):
        api_client.post(TRACKS, HEY_JUDE, format="json")
    event = Event.objects.get()
    assert event.actor_api_key_id == api_key.pk and event.actor_user_id is None


def test_only_a_title_is_required(api_client, receiver, httpserver, capture_on_commit):
    with capture_on_commit(execute=True):
        response = api_client.post(TRACKS, {"title": "Station ID"}, format="json")
    assert response.status_code == 201
    (body,) = _received(httpserver)
    assert body["track"] | {"id": "x"} == {
        "id": "x",
        "title": "Station ID",
        "artist": "",
        "album": "",
        "duration": 0,
    }
    assert_same_shape_as_example(body, XTRA_NEWTRACK)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"artist": "No title"}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x", "duration": -1}, "duration"),
        ({"title": "x", "duration": "4:31"}, "duration"),
        ({"title": "x" * 301}, "title"),
        ({"title": "nul\x00"}, "title"),
    ],
)
def test_invalid_reports_are_400_and_raise_nothing(api_client, receiver, body, field):
    response = api_client.post(TRACKS, body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not TrackPlay.objects.exists() and not Event.objects.exists()


def test_without_a_now_playing_webhook_the_play_is_still_recorded(api_client):
    assert api_client.post(TRACKS, HEY_JUDE, format="json").status_code == 201
    assert TrackPlay.objects.count() == 1 and not Event.objects.exists()


def test_other_stations_and_disabled_webhooks_get_nothing(
    api_client, api_key, httpserver, capture_on_commit
):
    WebhookFactory(station=StationFactory(), url=httpserver.url_for("/other"))
    WebhookFactory(station=api_key.station, enabled=False, url=httpserver.url_for("/off"))
    WebhookFactory(
        station=api_key.station,
        event_type="station.encoder.statuschange",
        url=httpserver.url_for("/encoders"),
    )
    with capture_on_commit(execute=True):
        api_client.post(TRACKS, HEY_JUDE, format="json")
    assert httpserver.log == []


def test_a_get_is_405(api_client):
    response = api_client.get(TRACKS)
    assert response.status_code == 405 and set(response.json()) == {"detail"}


def test_a_report_is_the_key_and_one_insert_and_its_event_follows(
    api_client, api_key, django_assert_num_queries, queue_not_sync
):
    # given: work announced as in production, the key's use already recorded (at most
    # once a minute), three webhooks
    WebhookFactory.create_batch(3, station=api_key.station)
    api_client.post(TRACKS, HEY_JUDE, format="json")
    # when / then: the key, and the play (on PostgreSQL its INSERT also announces it)
    with django_assert_num_queries(2):
        assert api_client.post(TRACKS, {"title": "Second"}, format="json").status_code == 201
    assert TrackPlay.objects.filter(event_pending=True).count() == 2
    assert not Event.objects.exists() and not OrmQ.objects.exists()
    # when a worker announces them: each play's event, in the order they arrived
    assert track_plays_announce() == 2
    events = Event.objects.order_by("pk")
    assert [json.loads(e.body)["track"]["title"] for e in events] == ["Hey Jude", "Second"]
    assert {e.actor_api_key_id for e in events} == {api_key.pk}
    assert Delivery.objects.count() == 2 * 3
    assert not TrackPlay.objects.filter(event_pending=True).exists()
    assert track_plays_announce() == 0
