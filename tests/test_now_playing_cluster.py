"""The now-playing hook's plays are inbox rows, with real processes on PostgreSQL: plays
answered while no worker runs, or whose announcement a SIGKILLed worker left half-way,
each reach the receiver once, in the order they arrived."""

import json
import threading

import psycopg
import pytest
from django.db import connection
from werkzeug import Response

import processes
from stations.models import TrackPlay
from tests.cluster_helpers import start_cluster, waiting_on_a_lock
from tests.factories import WebhookFactory
from webhooks.models import Event

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TRACKS = "/api/v1/studio/tracks/"
GUARD_S = 60  # a failure guard: a passing run never waits this long


@pytest.fixture
def tracks_received(httpserver, api_key):
    """The titles a now-playing webhook of the key's station receives, in order."""
    got: list[str] = []
    lock = threading.Lock()

    def receive(request):
        with lock:
            got.append(json.loads(request.get_data())["track"]["title"])
        return Response("ok")

    httpserver.expect_request("/now-playing").respond_with_handler(receive)
    WebhookFactory(
        station=api_key.station,
        event_type="station.studio.newtrack",
        url=httpserver.url_for("/now-playing"),
    )
    return got


def test_plays_whose_worker_was_killed_reach_the_receiver_once_in_order(
    api_client, tracks_received, queue_not_sync
):
    events = Event._meta.db_table
    # given two plays answered while no worker runs
    for title in ("First", "Second"):
        assert api_client.post(TRACKS, {"title": title}, format="json").status_code == 201
    # and a worker whose announcement of them is stuck half-way (the event table is locked)
    blocker = psycopg.connect(**connection.get_connection_params())
    blocker.execute(f'LOCK TABLE "{events}" IN SHARE MODE')
    cluster = start_cluster()
    try:
        assert processes.wait_for(lambda: waiting_on_a_lock(events), GUARD_S)
        # when the whole cluster is SIGKILLed in the middle of it
        processes.kill_group(cluster)
    finally:
        blocker.close()
    assert processes.wait_for(lambda: not waiting_on_a_lock(events), GUARD_S)
    # then nothing of it stayed: both plays still wait for their event
    assert TrackPlay.objects.filter(event_pending=True).count() == 2
    assert not Event.objects.exists() and not tracks_received
    # when a cluster runs again and a third play arrives
    cluster = start_cluster()
    try:
        assert api_client.post(TRACKS, {"title": "Third"}, format="json").status_code == 201
        assert processes.wait_for(lambda: len(tracks_received) == 3, GUARD_S)
    finally:
        processes.stop_group(cluster)
    # then each play reached the receiver once, in the order they arrived
    assert tracks_received == ["First", "Second", "Third"]
    assert Event.objects.count() == 3
    assert not TrackPlay.objects.filter(event_pending=True).exists()
