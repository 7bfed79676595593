"""Formats through the real engine (the test settings' synchronous mode) to local fakes of
the services: what the service receives, and what the delivery log keeps."""

import pytest

from tests.factories import WebhookFactory
from tests.fake_services import FakeDiscord
from webhooks import services
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db

TRACKS = "/api/v1/studio/tracks/"
HEY_JUDE = {"title": "Hey Jude", "artist": "The Beatles", "album": "Past Masters", "duration": 431}


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("operator", "op@example.com", "pw")


@pytest.fixture
def discord(httpserver):
    return FakeDiscord(httpserver)


def discord_webhook(station, discord, **settings):
    return WebhookFactory(
        station=station,
        event_type="station.studio.newtrack",
        format="discord",
        url=discord.url,
        format_settings={"embed": True, **settings},
    )


def test_a_new_track_reaches_discord_as_a_now_playing_message(
    api_client, api_key, discord, capture_on_commit
):
    # given a Discord webhook for new tracks
    discord_webhook(api_key.station, discord, username="Radio Example")
    # when the playout system reports a track
    with capture_on_commit(execute=True):
        assert api_client.post(TRACKS, HEY_JUDE, format="json").status_code == 201
    # then Discord accepted one valid message
    assert discord.refused == []
    (message,) = discord.accepted
    assert message["content"] == "Now playing: The Beatles – Hey Jude"
    assert message["username"] == "Radio Example"
    assert message["embeds"][0]["title"] == "Hey Jude"
    # and the log shows the request as sent (its token masked) and the message Discord made
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    attempt = delivery.attempts.get()
    assert attempt.request["method"] == "POST"
    assert attempt.request["url"].endswith(f"/api/webhooks/{discord.webhook_id}/…-xyz?wait=true")
    assert discord.token not in str(attempt.request) + str(attempt.request_headers)
    assert '"content":"Now playing: The Beatles – Hey Jude"' in attempt.request["body"]
    assert attempt.response_status == 200 and '"channel_id": "998877"' in attempt.response_body
    # no signature or api-key goes to Discord
    assert {"api-key", "X-Webhook-Signature", "webhook-signature"}.isdisjoint(
        attempt.request_headers
    )


def test_a_rate_limited_message_waits_what_discord_says(api_key, operator, discord):
    # given Discord is rate limiting for 2.5 s
    webhook = discord_webhook(api_key.station, discord)
    discord.rate_limit_next(2.5)
    # when a test event goes out
    sent = services.webhook_send_test_event(webhook=webhook, actor=operator)
    # then it waits 2.5 s (not the header's rounded 3 s, nor the first retry delay)
    assert sent.status == DeliveryStatus.PENDING
    assert sent.last_error == "Discord: rate limited"
    wait_s = (sent.next_attempt_at - sent.attempts.get().started_at).total_seconds()
    assert 2.5 <= wait_s < 2.9


def test_the_test_event_goes_through_the_format(api_key, operator, discord):
    webhook = discord_webhook(api_key.station, discord)
    sent = services.webhook_send_test_event(webhook=webhook, actor=operator)
    assert sent.status == DeliveryStatus.DELIVERED
    assert discord.accepted[0]["content"] == "Now playing: StationHooks – Test Track"


def test_a_request_the_format_cannot_make_fails_unsent(api_key, operator, discord):
    # given settings Discord would refuse (saved past the admin's checks)
    webhook = discord_webhook(api_key.station, discord, username="discord bot")
    # when
    sent = services.webhook_send_test_event(webhook=webhook, actor=operator)
    # then nothing was sent, and the log says why
    assert discord.accepted == discord.refused == []
    assert sent.status == DeliveryStatus.FAILED
    assert sent.last_error.startswith("Could not make the Discord request: Discord refuses")
    assert sent.attempts.get().response_status is None


def test_discords_refusal_is_logged_with_its_reason(api_key, operator, discord):
    webhook = discord_webhook(api_key.station, discord)
    webhook.url = discord.url.replace(discord.token, "wrong-token")
    webhook.save()
    sent = services.webhook_send_test_event(webhook=webhook, actor=operator)
    assert sent.status == DeliveryStatus.FAILED
    assert sent.last_status_code == 401
    assert sent.last_error == "Discord: Invalid Webhook Token (code 50027)"
