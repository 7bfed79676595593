"""Formats through the real engine (the test settings' synchronous mode) to local fakes of
the services: what the service receives, and what the delivery log keeps."""

import json

import pytest
from werkzeug import Response

from processes import free_port
from tests.factories import WebhookFactory
from tests.fake_services import (
    FakeDiscord,
    FakeMastodon,
    FakeMattermost,
    FakeSlack,
    FakeTelegram,
    FakeTuneIn,
)
from tests.webhook_helpers import drain_until_settled
from webhooks import services
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery
from webhooks.signing import xtra_signature

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
        format_settings={"card": True, **settings},
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


def destination(station, name, url="", event_type="station.studio.newtrack", **settings):
    webhook = WebhookFactory.build(station=station, event_type=event_type, format=name, url=url)
    webhook.set_destination_settings(settings)
    webhook.save()
    return webhook


def test_slack_gets_text_and_blocks(api_key, operator, httpserver):
    slack = FakeSlack(httpserver)
    webhook = destination(api_key.station, "slack", slack.url, card=True)
    sent = services.webhook_send_test_event(webhook=webhook, actor=operator)
    assert sent.status == DeliveryStatus.DELIVERED
    (message,) = slack.accepted
    assert message["text"] == "Now playing: StationHooks – Test Track"
    assert message["blocks"][0]["text"]["text"] == message["text"]
    assert slack.token not in sent.attempts.get().request["url"]


def test_an_archived_slack_channel_disables_the_webhook(api_key, operator, httpserver):
    slack = FakeSlack(httpserver)
    slack.archived = True
    webhook = destination(api_key.station, "slack", slack.url)
    sent = services.webhook_send_test_event(webhook=webhook, actor=operator)
    webhook.refresh_from_db()
    assert sent.status == DeliveryStatus.FAILED and sent.last_error == "Slack: channel_is_archived"
    assert not webhook.enabled


def test_mattermost_gets_its_message_and_attachment(api_key, operator, httpserver):
    mattermost = FakeMattermost(httpserver)
    webhook = destination(
        api_key.station, "mattermost", mattermost.url, username="Radio", card=True
    )
    sent = services.webhook_send_test_event(webhook=webhook, actor=operator)
    assert sent.status == DeliveryStatus.DELIVERED
    (message,) = mattermost.accepted
    assert message["text"] == "Now playing: StationHooks – Test Track"
    assert message["username"] == "Radio" and message["attachments"][0]["title"] == "Test Track"


def test_telegram_sends_the_message_with_the_token_masked(api_key, operator, httpserver, settings):
    telegram = FakeTelegram(httpserver)
    settings.WEBHOOKS_TELEGRAM_API_URL = telegram.api_url
    webhook = destination(
        api_key.station, "telegram", bot_token=telegram.token, chat_id="-1001234567890",
        parse_mode="HTML", message="<b>Now playing</b> {track}",
    )  # fmt: skip
    sent = services.webhook_send_test_event(webhook=webhook, actor=operator)
    assert sent.status == DeliveryStatus.DELIVERED, sent.last_error
    assert telegram.accepted == [
        {
            "chat_id": -1001234567890,
            "text": "<b>Now playing</b> StationHooks – Test Track",
            "parse_mode": "HTML",
        }
    ]
    attempt = sent.attempts.get()
    assert telegram.token not in str(attempt.request)
    assert attempt.request["url"].endswith("/bot…ts_x/sendMessage")


def test_telegrams_ok_false_is_a_failure_with_its_description(
    api_key, operator, httpserver, settings
):
    telegram = FakeTelegram(httpserver)
    settings.WEBHOOKS_TELEGRAM_API_URL = telegram.api_url
    webhook = destination(api_key.station, "telegram", bot_token=telegram.token, chat_id="-100999")
    # a chat the bot is not in (Telegram: 400 and ok false)
    sent = services.webhook_send_test_event(webhook=webhook, actor=operator)
    assert sent.status == DeliveryStatus.FAILED
    assert sent.last_error == "Telegram: Bad Request: chat not found"
    # an ok false inside a 200 (as a Bot API relay may answer) fails the same way
    telegram.answer_next(
        Response(
            '{"ok": false, "error_code": 403, "description": "Forbidden: bot was kicked"}',
            200,
            content_type="application/json",
        )
    )
    sent = services.webhook_send_test_event(webhook=webhook, actor=operator)
    assert sent.status == DeliveryStatus.FAILED and sent.last_status_code == 200
    assert sent.attempts.get().error == "Telegram: Forbidden: bot was kicked"


def test_mastodon_posts_once_per_event_even_when_retried(api_key, operator, httpserver):
    mastodon = FakeMastodon(httpserver)
    webhook = destination(
        api_key.station, "mastodon", mastodon.url, access_token=mastodon.access_token,
        visibility="unlisted",
    )  # fmt: skip
    sent = services.webhook_send_test_event(webhook=webhook, actor=operator)
    assert sent.status == DeliveryStatus.DELIVERED
    assert mastodon.accepted == [
        {"status": "Now playing: StationHooks – Test Track", "visibility": "unlisted"}
    ]
    # an operator's redelivery sends the same Idempotency-Key: no second status
    services.deliveries_redeliver(deliveries=Delivery.objects.filter(pk=sent.pk))
    drain_until_settled()
    assert len(mastodon.accepted) == 1
    first, second = sent.attempts.order_by("number")
    assert first.response_body == second.response_body
    assert first.request_headers["Authorization"] == "Bearer …cdef"
    assert first.request_headers["Idempotency-Key"] == sent.event.message_id


def test_tunein_gets_the_track_in_its_query(api_key, operator, httpserver, settings):
    tunein = FakeTuneIn(httpserver)
    settings.WEBHOOKS_TUNEIN_AIR_URL = tunein.air_url
    webhook = destination(
        api_key.station, "tunein", partner_id=tunein.partner_id, partner_key=tunein.partner_key,
        station_id=tunein.station_id,
    )  # fmt: skip
    sent = services.webhook_send_test_event(webhook=webhook, actor=operator)
    assert sent.status == DeliveryStatus.DELIVERED, sent.last_error
    assert tunein.accepted == [
        {
            "partnerId": "radioexample",
            "partnerKey": "pk/Secret+Key=1",
            "id": "s123456",
            "title": "Test Track",
            "artist": "StationHooks",
            "album": "Test Events",
        }
    ]
    attempt = sent.attempts.get()
    assert attempt.request["method"] == "GET" and "Secret" not in attempt.request["url"]


def test_tunein_refusing_the_credentials_is_logged_with_its_fault(
    api_key, operator, httpserver, settings
):
    tunein = FakeTuneIn(httpserver)
    settings.WEBHOOKS_TUNEIN_AIR_URL = tunein.air_url
    webhook = destination(
        api_key.station, "tunein", partner_id="radioexample", partner_key="wrong-key",
        station_id="s123456",
    )  # fmt: skip
    sent = services.webhook_send_test_event(webhook=webhook, actor=operator)
    assert sent.status == DeliveryStatus.FAILED
    assert sent.last_error == "TuneIn: Invalid partner credentials"


def test_a_template_body_is_sent_signed_with_its_content_type(api_key, operator, httpserver):
    httpserver.expect_request("/custom").respond_with_data("ok")
    webhook = destination(
        api_key.station,
        "template",
        httpserver.url_for("/custom"),
        template='{"song": {{ event.track.title|tojson }}, "token": {{ secret|tojson }}}',
        content_type="application/json",
        secret="tpl-secret-0123456789",
    )
    sent = services.webhook_send_test_event(webhook=webhook, actor=operator)
    assert sent.status == DeliveryStatus.DELIVERED
    request, _ = httpserver.log[0]
    body = request.get_data()
    assert json.loads(body) == {"song": "Test Track", "token": "tpl-secret-0123456789"}
    assert request.headers["X-Webhook-Signature"] == xtra_signature(body, webhook.secret)
    assert request.headers["webhook-id"] == sent.event.message_id
    logged = sent.attempts.get().request["body"]
    assert "tpl-secret-0123456789" not in logged and '"token": "…6789"' in logged


def test_a_bot_token_never_reaches_the_logs_or_errors(api_key, operator, settings, caplog):
    # given Telegram's address is down (nothing listens there)
    settings.WEBHOOKS_TELEGRAM_API_URL = f"http://127.0.0.1:{free_port()}"
    token = "123456789:AAEhBP0av28neverLogThisToken"
    webhook = destination(api_key.station, "telegram", bot_token=token, chat_id="-100123")
    # when a test event fails to connect
    with caplog.at_level("DEBUG"):
        sent = services.webhook_send_test_event(webhook=webhook, actor=operator)
    # then neither the log, nor the delivery's error, nor the attempt shows the token
    attempt = sent.attempts.get()
    assert sent.status == DeliveryStatus.PENDING and sent.last_error.startswith("Connection")
    for text in (caplog.text, sent.last_error, str(attempt.request), attempt.error):
        assert token not in text and "neverLogThis" not in text
