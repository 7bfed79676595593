"""Formats with real `qcluster` processes on PostgreSQL: a track reported to the API
reaches a (fake) Discord as a valid message, sent by a worker."""

import pytest

from processes import stop_group, wait_for
from tests.cluster_helpers import start_cluster
from tests.factories import WebhookFactory
from tests.fake_services import FakeDiscord
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

HEY_JUDE = {"title": "Hey Jude", "artist": "The Beatles", "album": "Past Masters", "duration": 431}


def test_a_new_track_reaches_discord_through_a_worker(httpserver, api_client, api_key):
    # given a Discord webhook for new tracks, and a running cluster
    discord = FakeDiscord(httpserver)
    WebhookFactory(
        station=api_key.station,
        event_type="station.studio.newtrack",
        format="discord",
        url=discord.url,
        format_settings={"card": True},
    )
    cluster = start_cluster()
    try:
        # when the playout system reports a track
        assert api_client.post("/api/v1/studio/tracks/", HEY_JUDE, format="json").status_code == 201
        delivered = wait_for(
            lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).exists(), 30
        )
    finally:
        stop_group(cluster)
    # then a worker delivered it, and Discord got a valid now-playing message
    assert delivered, list(Delivery.objects.values("status", "last_error"))
    assert discord.refused == []
    (message,) = discord.accepted
    assert message["content"] == "Now playing: The Beatles – Hey Jude"
    assert message["embeds"][0]["description"] == "The Beatles"
