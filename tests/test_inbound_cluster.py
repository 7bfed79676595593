"""The inbound gateway with real processes on PostgreSQL: a gunicorn web process takes
xtra's signed request, a real `qcluster` processes it, the station's webhooks get the event
(a Discord-format one as a Discord message), and the inbound log shows the request and
what it caused; and a worker SIGKILLed between the 202 and the end of processing loses
nothing."""

import json
import threading

import psycopg
import pytest
import requests
from django.db import connection
from django.urls import reverse
from werkzeug import Response

import processes
from stations.models import TrackPlay
from tests.cluster_helpers import django_env, start_cluster, waiting_on_a_lock
from tests.factories import InboundSourceFactory, StationFactory, WebhookFactory
from tests.fake_services import FakeDiscord
from tests.inbound_helpers import XTRA_NEWTRACK, as_bytes, post, xtra_headers
from webhooks.models import Event, InboundRequest

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SECRET = "xtra-shared-secret-1"
GUARD_S = 60  # a failure guard: a passing run never waits this long


@pytest.fixture
def now_playing(httpserver):
    """A station with an xtra source and a now-playing webhook whose receiver counts the
    tracks it gets."""
    got: list[dict] = []
    lock = threading.Lock()

    def receive(request):
        with lock:
            got.append(json.loads(request.get_data()))
        return Response("ok")

    httpserver.expect_request("/now-playing").respond_with_handler(receive)
    station = StationFactory(name="Radio Example")
    WebhookFactory(
        station=station,
        event_type="station.studio.newtrack",
        url=httpserver.url_for("/now-playing"),
    )
    source = InboundSourceFactory(station=station, kind="xtra", secret=SECRET)
    return source, got


def test_an_xtra_track_sent_to_the_web_process_reaches_the_webhooks(
    now_playing, tmp_path, httpserver, admin_client
):
    source, got = now_playing
    discord = FakeDiscord(httpserver)
    WebhookFactory(
        station=source.station,
        name="Studio channel",
        event_type="station.studio.newtrack",
        format="discord",
        url=discord.url,
    )
    port = processes.free_port()
    web = processes.start_gunicorn(django_env(), port=port, log_path=tmp_path / "web.log")
    cluster = start_cluster()
    try:
        processes.wait_for_port(port, GUARD_S)
        body = as_bytes(XTRA_NEWTRACK)
        # when xtra posts its signed new track to the URL of the source
        response = requests.post(
            f"http://127.0.0.1:{port}{source.ingest_path}",
            data=body,
            headers=xtra_headers(body, SECRET),
            timeout=30,
        )
        assert response.status_code == 202, (tmp_path / "web.log").read_text()
        # then the station's webhooks get the event, Discord as a message
        assert processes.wait_for(lambda: len(got) == 1 and discord.accepted, GUARD_S)
    finally:
        processes.stop_group(cluster)
        processes.stop_group(web, grace_s=5)
    play = TrackPlay.objects.get()
    assert got[0]["track"]["id"] == play.public_id and got[0]["track"]["title"] == "Hey Jude"
    assert discord.refused == []
    (message,) = discord.accepted
    assert message["content"] == "Now playing: The Beatles – Hey Jude"
    # and the inbound log shows the request, processed, with the event it caused
    request = InboundRequest.objects.get(pk=response.json()["id"])
    assert (request.outcome, request.status) == ("accepted", "processed")
    (event,) = request.events.all()
    assert event.event_type == "station.studio.newtrack" and event.deliveries.count() == 2
    log = admin_client.get(reverse("admin:webhooks_inboundrequest_changelist")).content.decode()
    assert "accepted 202" in log
    detail = admin_client.get(reverse("admin:webhooks_inboundrequest_change", args=[request.pk]))
    html = detail.content.decode()
    assert "processed" in html and event.message_id in html


def test_a_worker_killed_between_the_answer_and_the_end_of_processing_loses_nothing(
    client, now_playing, queue_not_sync
):
    source, got = now_playing
    body = as_bytes(XTRA_NEWTRACK)
    plays = TrackPlay._meta.db_table
    # given a request accepted while no worker runs at all
    first = post(client, source, body, xtra_headers(body, SECRET))
    assert first.status_code == 202
    # and a second one whose processing is stuck half-way (the play table is locked)
    blocker = psycopg.connect(**connection.get_connection_params())
    blocker.execute(f'LOCK TABLE "{plays}" IN SHARE MODE')
    cluster = start_cluster()
    try:
        second_body = as_bytes({**XTRA_NEWTRACK, "timestamp": "2026-01-26T14:35:00Z"})
        second = post(client, source, second_body, xtra_headers(second_body, SECRET))
        assert second.status_code == 202
        assert processes.wait_for(lambda: waiting_on_a_lock(plays), GUARD_S)
        # when the whole cluster is SIGKILLed in the middle of processing
        processes.kill_group(cluster)
    finally:
        blocker.close()
    assert processes.wait_for(lambda: not waiting_on_a_lock(plays), GUARD_S)
    # then nothing of it stayed: both requests wait, and no play or event was written
    assert set(InboundRequest.objects.values_list("status", flat=True)) == {"pending"}
    assert not TrackPlay.objects.exists() and not Event.objects.exists() and not got
    # when a cluster runs again
    cluster = start_cluster()
    try:
        assert processes.wait_for(lambda: len(got) == 2, GUARD_S)
    finally:
        processes.stop_group(cluster)
    # then each request was processed once: one play, one event, one delivery each
    assert set(InboundRequest.objects.values_list("status", flat=True)) == {"processed"}
    assert TrackPlay.objects.count() == 2 and Event.objects.count() == 2
    assert sorted(body["timestamp"] for body in got) == [
        "2026-01-26T14:30:00Z",
        "2026-01-26T14:35:00Z",
    ]
