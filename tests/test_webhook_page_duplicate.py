"""Duplicate: a new webhook with the same settings and a new secret, disabled until an
operator reviews and enables it, its creation in the admin history."""

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.factories import WebhookFactory
from webhooks import custom_headers
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db


def _duplicate(client, webhook):
    return client.post(reverse("admin:webhooks_webhook_duplicate", args=[webhook.pk]), follow=True)


def test_a_duplicate_has_the_settings_a_new_secret_and_waits_for_review(admin_client):
    # given a push webhook with pacing, models and a custom header
    original = WebhookFactory(
        event_type="push", models=["program"], delay_s=3, debounce_s=10, name="Website"
    )
    original.custom_headers = custom_headers.encode([("Authorization", "Bearer abcdefgh12345678")])
    original.save()
    page = admin_client.get(reverse("admin:webhooks_webhook_change", args=[original.pk]))
    assert 'id="duplicate-webhook"' in page.content.decode()
    # when the operator duplicates it
    response = _duplicate(admin_client, original)
    # then the copy has the same settings, a new secret shown once, and is disabled
    copy = Webhook.objects.exclude(pk=original.pk).get()
    assert copy.name == "Copy of Website"
    same = ("station_id", "url", "event_type", "format", "models", "delay_s", "debounce_s")
    assert all(getattr(copy, f) == getattr(original, f) for f in same)
    assert copy.key == original.key and copy.headers_list() == original.headers_list()
    assert copy.secret.startswith("whsec_") and copy.secret != original.secret
    assert not copy.enabled and copy.disabled_reason.startswith("A copy of Website")
    assert response.redirect_chain[-1][0].endswith(f"/{copy.pk}/change/")
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert copy.secret in shown and original.secret not in shown
    (entry,) = LogEntry.objects.filter(object_id=str(copy.pk))
    assert entry.action_flag == ADDITION
    assert entry.get_change_message() == f"Duplicated from Website ({original.pk})."


def test_only_who_may_add_webhooks_can_duplicate(client, django_user_model):
    original = WebhookFactory()
    editor = django_user_model.objects.create_user("editor", password="pw", is_staff=True)
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_webhook", "change_webhook"])
    )
    client.force_login(editor)
    page = client.get(reverse("admin:webhooks_webhook_change", args=[original.pk]))
    assert 'id="duplicate-webhook"' not in page.content.decode()
    _duplicate(client, original)
    assert Webhook.objects.count() == 1
