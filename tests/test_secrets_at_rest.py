"""Secrets and keys are encrypted at rest, rotate with a grace period, and never leak."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from standardwebhooks.webhooks import Webhook as StandardWebhook

from tests.factories import WebhookFactory
from tests.webhook_helpers import publish_track
from webhooks.encryption import generate_key
from webhooks.models import Webhook
from webhooks.services import webhook_rotate_secret

pytestmark = pytest.mark.django_db


def _stored(webhook) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret, key FROM webhooks_webhook WHERE id = %s", [webhook.pk])
        return cursor.fetchone()


def test_secret_and_key_are_encrypted_in_the_database():
    webhook = WebhookFactory(secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key="my-api-key-123")
    stored_secret, stored_key = _stored(webhook)
    assert "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" not in stored_secret
    assert "my-api-key-123" not in stored_key
    fresh = Webhook.objects.get(pk=webhook.pk)
    assert (
        fresh.secret == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" and fresh.key == "my-api-key-123"
    )


def test_encryption_key_rotation(settings):
    old_key, new_key = generate_key(), generate_key()
    settings.STATIONHOOKS_ENCRYPTION_KEYS = [old_key]
    webhook = WebhookFactory(key="rotate-me-please-1", format="mastodon")
    webhook.set_destination_settings({"access_token": "rotate-my-token-2"})
    webhook.save()
    # step 1: the new key goes first, the old one stays to read existing values
    settings.STATIONHOOKS_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("reencrypt_secrets")
    # step 2: the old key can go
    settings.STATIONHOOKS_ENCRYPTION_KEYS = [new_key]
    rotated = Webhook.objects.get(pk=webhook.pk)
    assert rotated.key == "rotate-me-please-1"
    assert rotated.destination_settings()["access_token"] == "rotate-my-token-2"


def test_rotation_signs_with_both_secrets_during_the_grace_period(
    httpserver, settings, capture_on_commit
):
    # given
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    old_secret = webhook.secret
    # when
    new_secret = webhook_rotate_secret(webhook=webhook)
    publish_track(webhook, capture_on_commit)
    # then receivers holding either secret verify the request
    request, _ = httpserver.log[0]
    body, headers = request.get_data(), dict(request.headers)
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    StandardWebhook(new_secret).verify(body, headers)
    StandardWebhook(old_secret).verify(body, headers)
    # and once the grace period is over, only the new secret signs
    Webhook.objects.filter(pk=webhook.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    publish_track(webhook, capture_on_commit)
    request, _ = httpserver.log[1]
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    StandardWebhook(new_secret).verify(request.get_data(), dict(request.headers))


def test_secrets_never_reach_the_logs(httpserver, caplog, capture_on_commit):
    httpserver.expect_request("/hook").respond_with_data("bad", status=410)
    webhook = WebhookFactory(url=httpserver.url_for("/hook"), key="log-me-not-key-42")
    with caplog.at_level("DEBUG"):
        publish_track(webhook, capture_on_commit)
        new_secret = webhook_rotate_secret(webhook=webhook)
    logged = caplog.text
    for secret in (webhook.secret, new_secret, "log-me-not-key-42"):
        assert secret not in logged
    assert "410" in logged  # the log did say something
