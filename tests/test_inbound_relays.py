"""What Radio Mast, RadioManager, Standard Webhooks and generic requests become at the
gateway: relayed byte for byte to the webhooks that want them (Radio Mast's alert also
recorded against its stream), RadioManager's in job_id order per source."""

import json
import uuid

import pytest
from django.test import override_settings
from django.utils import timezone

from stations.models import Stream, StreamCheck
from tests.factories import (
    InboundSourceFactory,
    StationFactory,
    StreamFactory,
    WebhookFactory,
)
from tests.inbound_helpers import RADIOMANAGER_MESSAGE, as_bytes, post, standard_webhooks_headers
from tests.radiomast_examples import RADIO_MAST_EXAMPLE
from webhooks.gateway.processing import process_due_requests
from webhooks.models import Event, InboundRequest

pytestmark = pytest.mark.django_db

STREAM_UUID = uuid.UUID("6ffd5f90-64dd-421d-b48a-349eee8ca535")
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def station():
    return StationFactory(name="Example FM")


@pytest.fixture
def hook(station, httpserver):
    """`hook(path, event_type, **fields)`: a webhook of the station whose receiver at
    `path` answers 200."""

    def make(path: str, event_type: str, **fields):
        httpserver.expect_request(path).respond_with_data("ok")
        fields.setdefault("station", station)
        return WebhookFactory(event_type=event_type, url=httpserver.url_for(path), **fields)

    return make


def bodies_at(httpserver, path: str) -> list[bytes]:
    return [request.get_data() for request, _ in httpserver.log if request.path == path]


# --- Radio Mast ------------------------------------------------------------------------


def test_a_radio_mast_alert_is_recorded_against_a_new_stream_and_relayed_as_it_came(
    client, station, hook, httpserver, capture_on_commit
):
    # given a Radio Mast source and a stream alert webhook of the station
    source = InboundSourceFactory(station=station, kind="radiomast", secret="")
    hook("/alerts", "stream.alert")
    body = RADIO_MAST_EXAMPLE.encode()
    # when Radio Mast sends the documented alert, byte for byte
    with capture_on_commit(execute=True):
        assert post(client, source, body, JSON).status_code == 202
    # then the stream exists, with Radio Mast's UUID, unmonitored, and is down, silent
    stream = Stream.objects.get()
    assert (stream.uuid, stream.name, stream.listening_url) == (
        STREAM_UUID,
        "Stream 1",
        "http://yourstreamexample.com/mount",
    )
    assert not stream.monitored and stream.is_up is False
    check = StreamCheck.objects.get()
    assert (check.source, check.is_up, check.silence, check.reason) == (
        "radiomast",
        False,
        True,
        "Example FM Alert: Stream 1 is down",
    )
    # and the receiver got the alert exactly as Radio Mast sent it
    assert bodies_at(httpserver, "/alerts") == [body]
    assert Event.objects.get().inbound_request == InboundRequest.objects.get()


def test_an_alert_about_a_known_stream_updates_it_and_one_about_all_streams_is_relayed(
    client, station, hook, httpserver, capture_on_commit
):
    stream = StreamFactory(station=station, uuid=STREAM_UUID, name="Main", is_up=False)
    source = InboundSourceFactory(station=station, kind="radiomast", secret="")
    hook("/alerts", "stream.alert")
    up = json.loads(RADIO_MAST_EXAMPLE)
    up["event"]["type"] = "up"
    all_down = {**up, "timestamp": 1579728099, "event": {**up["event"], "stream": None}}
    all_down["event"]["type"] = "down"
    with capture_on_commit(execute=True):
        post(client, source, as_bytes(up), JSON)
        post(client, source, as_bytes(all_down), JSON)
    stream.refresh_from_db()
    assert stream.is_up is True and Stream.objects.count() == 1
    assert StreamCheck.objects.get().source == "radiomast"
    assert bodies_at(httpserver, "/alerts") == [as_bytes(up), as_bytes(all_down)]


# --- RadioManager ----------------------------------------------------------------------


@pytest.fixture
def radiomanager(station):
    return InboundSourceFactory(station=station, kind="radiomanager", key="rm-key", secret="")


def push(client, source, message, key="rm-key"):
    return post(client, source, as_bytes(message), JSON | {"api-key": key})


def test_a_push_message_is_relayed_as_it_came_to_the_webhooks_watching_its_model(
    client, radiomanager, hook, httpserver, capture_on_commit
):
    hook("/broadcasts", "push", models=["broadcast"])
    hook("/programs", "push", models=["program"])
    with capture_on_commit(execute=True):
        assert push(client, radiomanager, RADIOMANAGER_MESSAGE).status_code == 202
    assert bodies_at(httpserver, "/broadcasts") == [as_bytes(RADIOMANAGER_MESSAGE)]
    assert bodies_at(httpserver, "/programs") == []
    event = Event.objects.get()
    assert (event.event_type, event.job_id, event.model_id) == ("push", 98765, 1234)


def test_push_messages_are_duplicates_by_station_and_job_and_need_the_key(client, radiomanager):
    assert push(client, radiomanager, RADIOMANAGER_MESSAGE).status_code == 202
    retried = {**RADIOMANAGER_MESSAGE, "action": "update", "user_id": None}
    assert push(client, radiomanager, retried).json()["duplicate"] is True
    other_station = {**RADIOMANAGER_MESSAGE, "station_id": 8}
    assert push(client, radiomanager, other_station).status_code == 202
    assert push(client, radiomanager, RADIOMANAGER_MESSAGE, key="guess").status_code == 401
    assert push(client, radiomanager, {**RADIOMANAGER_MESSAGE, "job_id": -1}).status_code == 400


@override_settings(INBOUND_PUSH_HOLD_S=60)
def test_push_messages_arriving_out_of_order_within_the_hold_are_relayed_in_job_id_order(
    client, radiomanager, hook, capture_on_commit
):
    # given a push webhook, and three messages arriving out of order
    hook("/push", "push")
    for job_id in (103, 101, 102):
        push(client, radiomanager, {**RADIOMANAGER_MESSAGE, "model_id": job_id, "job_id": job_id})
    # while the oldest has not waited the hold, nothing is relayed
    assert process_due_requests() == 0
    # when the oldest has waited it
    oldest = InboundRequest.objects.order_by("pk").first()
    InboundRequest.objects.filter(pk=oldest.pk).update(process_after=timezone.now())
    with capture_on_commit(execute=True):
        assert process_due_requests() == 3
    # then all three went, in job_id order
    assert list(Event.objects.order_by("pk").values_list("job_id", flat=True)) == [101, 102, 103]


# --- Standard Webhooks and generic: relay webhooks ---------------------------------------


def test_a_standard_webhooks_request_reaches_the_sources_relay_webhooks_only(
    client, station, hook, httpserver, capture_on_commit
):
    chosen = hook("/chosen", "inbound.relay")
    hook("/not-chosen", "inbound.relay")
    source = InboundSourceFactory(
        station=station, kind="standard-webhooks", secret=WHSEC, relay_to=[chosen]
    )
    body = b'{"type": "invoice.paid",  "data": {"amount": 12}}'
    with capture_on_commit(execute=True):
        response = post(client, source, body, standard_webhooks_headers(body, WHSEC))
    assert response.status_code == 202
    assert bodies_at(httpserver, "/chosen") == [body]
    assert bodies_at(httpserver, "/not-chosen") == []
    (request, _) = next(entry for entry in httpserver.log if entry[0].path == "/chosen")
    assert request.headers["webhook-id"] != "msg_1"  # the hub's own id, for its receivers


def test_a_generic_request_with_nobody_to_relay_to_is_processed_all_the_same(
    client, station, capture_on_commit
):
    source = InboundSourceFactory(station=station, kind="generic", auth="none", secret="")
    with capture_on_commit(execute=True):
        assert post(client, source, b"[1, 2, 3]", JSON).status_code == 202
    assert InboundRequest.objects.get().status == "processed"
    assert not Event.objects.exists()
