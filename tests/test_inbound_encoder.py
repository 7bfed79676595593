"""Encoder status: `POST /api/v1/encoders/{enc_id}/status/` raises
`station.encoder.statuschange` (the documented body, with `previousStatus`:
docs/payloads.md) only when the status changes; a repeated status raises nothing, even
when two reports race."""

import json
import threading
import time

import pytest
from django.db import connection, transaction

from stations.choices import EncoderStatus
from stations.inbound import encoder_report_status
from stations.models import Encoder
from tests.factories import EncoderFactory, StationFactory, WebhookFactory
from tests.xtra_examples import XTRA_ENCODER_STATUSCHANGE, assert_same_shape_as_example
from webhooks.event_types import ENCODER_STATUS
from webhooks.models import Event
from webhooks.payloads import iso_timestamp

pytestmark = pytest.mark.django_db


@pytest.fixture
def encoder(api_key):
    return EncoderFactory(station=api_key.station, name="Main Stream", status="disconnected")


@pytest.fixture
def receiver(httpserver, api_key):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    return WebhookFactory(
        station=api_key.station,
        event_type=ENCODER_STATUS.name,
        url=httpserver.url_for("/hook"),
    )


def _status_url(encoder: Encoder) -> str:
    return f"/api/v1/encoders/{encoder.public_id}/status/"


def _received(httpserver) -> list[dict]:
    return [json.loads(request.get_data()) for request, _ in httpserver.log]


def test_a_status_change_reaches_the_receiver_with_the_documented_body(
    api_client, api_key, encoder, receiver, httpserver, capture_on_commit
):
    # when
    with capture_on_commit(execute=True):
        response = api_client.post(_status_url(encoder), {"status": "connected"}, format="json")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "id": encoder.public_id,
        "name": "Main Stream",
        "status": "connected",
        "previous_status": "disconnected",
        "changed": True,
    }
    encoder.refresh_from_db()
    assert encoder.status == EncoderStatus.CONNECTED
    (body,) = _received(httpserver)
    assert body == {
        "event": "station.encoder.statuschange",
        "timestamp": iso_timestamp(encoder.updated_at),
        "station": {"id": api_key.station.public_id, "name": "Radio Example"},
        "encoder": {
            "id": encoder.public_id,
            "name": "Main Stream",
            "status": "connected",
            "previousStatus": "disconnected",
        },
    }
    assert_same_shape_as_example(body, XTRA_ENCODER_STATUSCHANGE)
    assert Event.objects.get().actor_api_key_id == api_key.pk


def test_a_repeated_status_raises_nothing(
    api_client, encoder, receiver, httpserver, capture_on_commit
):
    # given
    with capture_on_commit(execute=True):
        api_client.post(_status_url(encoder), {"status": "error"}, format="json")
    # when
    with capture_on_commit(execute=True):
        repeated = api_client.post(_status_url(encoder), {"status": "error"}, format="json")
    # then
    assert repeated.status_code == 200
    assert repeated.json()["changed"] is False
    assert repeated.json()["previous_status"] == "error"
    assert [b["encoder"]["status"] for b in _received(httpserver)] == ["error"]
    assert Event.objects.count() == 1


def test_each_change_carries_the_status_before_it(
    api_client, encoder, receiver, httpserver, capture_on_commit
):
    for status in ("connected", "error", "error", "disconnected"):
        with capture_on_commit(execute=True):
            api_client.post(_status_url(encoder), {"status": status}, format="json")
    assert [
        (b["encoder"]["previousStatus"], b["encoder"]["status"]) for b in _received(httpserver)
    ] == [
        ("disconnected", "connected"),
        ("connected", "error"),
        ("error", "disconnected"),
    ]


@pytest.mark.parametrize("body", [{"status": "on fire"}, {}, {"status": None}])
def test_an_unknown_status_is_a_400_and_changes_nothing(api_client, encoder, receiver, body):
    response = api_client.post(_status_url(encoder), body, format="json")
    assert response.status_code == 400 and "status" in response.json()
    encoder.refresh_from_db()
    assert encoder.status == "disconnected" and not Event.objects.exists()


@pytest.mark.parametrize("encoder_id", ["enc_000000000000", "42", "nonsense"])
def test_an_unknown_encoder_is_404(api_client, encoder, encoder_id):
    """Encoders are addressed by their public id only (the one events carry)."""
    response = api_client.post(
        f"/api/v1/encoders/{encoder_id}/status/", {"status": "connected"}, format="json"
    )
    assert response.status_code == 404 and set(response.json()) == {"detail"}


def test_another_stations_encoder_is_403(api_client):
    theirs = EncoderFactory(station=StationFactory(), status="disconnected")
    response = api_client.post(_status_url(theirs), {"status": "connected"}, format="json")
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == "disconnected"


def test_a_get_is_405(api_client, encoder):
    assert api_client.get(_status_url(encoder)).status_code == 405


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_identical_reports_at_once_raise_one_event(httpserver):
    """Both reports wait behind a lock on the encoder row; the first to get it changes
    the status, the second sees the change and raises nothing."""
    # given
    httpserver.expect_request("/hook").respond_with_data("ok")
    encoder = EncoderFactory(status="disconnected")
    WebhookFactory(
        station=encoder.station, event_type=ENCODER_STATUS.name, url=httpserver.url_for("/hook")
    )
    outcomes = []

    def report():
        try:
            outcomes.append(encoder_report_status(encoder=encoder, status="connected"))
        finally:
            connection.close()

    # when
    with transaction.atomic():
        Encoder.objects.select_for_update().get(pk=encoder.pk)
        reporters = [threading.Thread(target=report) for _ in range(2)]
        for reporter in reporters:
            reporter.start()
        time.sleep(0.5)  # both are now reading the encoder
    for reporter in reporters:
        reporter.join(timeout=10)
    # then
    assert sorted(o.changed for o in outcomes) == [False, True]
    event = Event.objects.get(event_type=ENCODER_STATUS.name)
    assert json.loads(event.body)["encoder"]["previousStatus"] == "disconnected"
