"""Formats in the admin: choosing one and its settings, the combinations refused, secrets
write-only and encrypted, the Preview of the exact request, and the log showing the
request as sent."""

import json

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import StationFactory, WebhookFactory
from tests.fake_services import FakeDiscord
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db

ADD = reverse("admin:webhooks_webhook_add")
PREVIEW = reverse("admin:webhooks_webhook_preview")
TOKEN = "123456789:AAEhBP0av28secretTokenValue"


@pytest.fixture
def station():
    return StationFactory(name="Radio Example")


def form(station, **fields):
    """The add form as a browser posts it: every format's fields, defaults untouched."""
    data = {
        "station": station.pk,
        "name": "Now playing",
        "event_type": "station.studio.newtrack",
        "format": "native",
        "enabled": "on",
        "delay_s": 0,
        "throttle_s": 0,
        "debounce_s": 0,
        "discord_card": "on",
        "slack_card": "on",
        "mattermost_card": "on",
        "mastodon_visibility": "unlisted",
        "mastodon_max_characters": "500",
        "template_content_type": "application/json",
    }
    return {**data, **fields}


def errors_of(response) -> dict:
    return response.context["adminform"].form.errors


def test_a_discord_webhook_is_created_with_its_settings(admin_client, station, httpserver):
    discord = FakeDiscord(httpserver)
    response = admin_client.post(
        ADD,
        form(station, format="discord", url=discord.url, discord_username="Radio Example"),
    )
    assert response.status_code == 302, errors_of(response)
    webhook = Webhook.objects.get()
    assert webhook.format == "discord"
    assert webhook.destination_settings() == {
        "message": "",
        "username": "Radio Example",
        "avatar_url": "",
        "card": True,
    }
    # the list shows where it goes, its token masked
    listing = admin_client.get(reverse("admin:webhooks_webhook_changelist")).content.decode()
    assert "Discord" in listing and discord.token not in listing
    assert f"/api/webhooks/{discord.webhook_id}/…-xyz" in listing


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"format": "tunein", "event_type": "push"}, "format", "sends station.studio.newtrack"),
        ({"format": "discord", "url": "https://discord.com/channels/1/2"}, "url", "Paste"),
        ({"format": "telegram", "telegram_chat_id": "@radio"}, "telegram_bot_token", "needs"),
        (
            {"format": "discord", "url": "https://discord.com/api/webhooks/1/t",
             "discord_message": "{song}"},
            "discord_message",
            "Unknown placeholder {song}",
        ),
        (
            {"format": "template", "url": "https://example.org/h",
             "template_template": '{"a": {{ event.track.title }}}'},
            "template_template",
            "invalid JSON",
        ),
        (
            {"format": "template", "url": "https://example.org/h",
             "template_template": "{{ nope.x }}"},
            "template_template",
            "'nope' is undefined",
        ),
    ],
)  # fmt: skip
def test_combinations_and_settings_that_cannot_work_are_refused(
    admin_client, station, fields, field, message
):
    response = admin_client.post(ADD, form(station, **fields))
    assert response.status_code == 200
    assert message in " ".join(errors_of(response)[field])
    assert not Webhook.objects.exists()


def test_a_telegram_token_is_write_only_and_encrypted(admin_client, station, settings):
    response = admin_client.post(
        ADD,
        form(station, format="telegram", telegram_bot_token=TOKEN, telegram_chat_id="-100123"),
    )
    assert response.status_code == 302, errors_of(response)
    webhook = Webhook.objects.get()
    assert webhook.destination_settings()["bot_token"] == TOKEN
    with connection.cursor() as cursor:
        cursor.execute("SELECT format_secrets, format_settings FROM webhooks_webhook")
        stored = " ".join(str(value) for value in cursor.fetchone())
    assert TOKEN not in stored and "123456789" not in stored
    change = reverse("admin:webhooks_webhook_change", args=[webhook.pk])
    assert TOKEN not in admin_client.get(change).content.decode()
    # saving again without typing it keeps it
    response = admin_client.post(
        change, form(station, format="telegram", telegram_chat_id="-100456")
    )
    assert response.status_code == 302, errors_of(response)
    webhook.refresh_from_db()
    assert webhook.destination_settings()["bot_token"] == TOKEN
    assert webhook.destination_settings()["chat_id"] == "-100456"


def test_preview_shows_the_exact_request_before_saving(admin_client, station, settings):
    settings.WEBHOOKS_TELEGRAM_API_URL = "https://api.telegram.org"
    response = admin_client.post(
        PREVIEW,
        form(station, format="telegram", telegram_bot_token=TOKEN, telegram_chat_id="-100123"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "POST https://api.telegram.org/bot…alue/sendMessage" in page
    assert TOKEN not in page
    body = response.context["body"]
    assert json.loads(body) == {
        "chat_id": -100123,
        "text": "Now playing: StationHooks – Test Track",
    }
    assert ("Content-Type", "application/json") in response.context["headers"]
    assert not Webhook.objects.exists()


def test_preview_of_the_native_format_shows_the_signed_event(admin_client, station):
    response = admin_client.post(PREVIEW, form(station, url="https://receiver.example/hook"))
    names = [name for name, _ in response.context["headers"]]
    assert "X-Webhook-Signature" in names and "webhook-id" in names
    assert json.loads(response.context["body"])["track"]["title"] == "Test Track"
    assert "POST https://receiver.example/hook" in response.content.decode()


def test_preview_lists_what_is_missing(admin_client, station):
    response = admin_client.post(PREVIEW, form(station, format="mastodon"))
    assert response.context["preview"] is None
    assert ("URL", "Enter the Instance address.") in response.context["errors"]


def test_preview_of_a_saved_webhook_keeps_its_stored_secret(admin_client, station):
    webhook = WebhookFactory(station=station, format="mastodon", url="https://mastodon.example")
    webhook.set_destination_settings(
        {"access_token": "stored-token-0123456789", "visibility": "public"}
    )
    webhook.save()
    response = admin_client.post(
        reverse("admin:webhooks_webhook_preview_existing", args=[webhook.pk]),
        form(station, format="mastodon", url="https://mastodon.example"),
    )
    assert ("Authorization", "Bearer …6789") in response.context["headers"]
    assert "stored-token-0123456789" not in response.content.decode()


def test_preview_needs_a_post_and_the_permission(client, django_user_model, station):
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(viewer)
    assert client.post(PREVIEW, form(station)).status_code == 403


def test_the_delivery_page_shows_the_request_as_sent(admin_client, station, httpserver):
    discord = FakeDiscord(httpserver)
    webhook = WebhookFactory(
        station=station, format="discord", url=discord.url, format_settings={"card": False}
    )
    send = reverse("admin:webhooks_webhook_send_test", args=[webhook.pk])
    shown = admin_client.post(send, follow=True).content.decode()
    assert "HTTP 200" in shown and "998877" in shown  # Discord's answer: the message
    delivery = webhook.deliveries.get()
    page = admin_client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk]))
    text = page.content.decode()
    assert "Request as sent" in text and "?wait=true" in text
    assert "Now playing: StationHooks – Test Track" in text
    assert discord.token not in text
