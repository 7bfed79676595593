"""The webhook form follows its trigger; a new webhook's secret is shown once, with a
copy button; the full secret is revealed on request to whoever may change the webhook,
and the admin history says who saw it."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.factories import StationFactory, WebhookFactory
from webhooks.admin.webhook import trigger_conditions
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db

ADD = reverse("admin:webhooks_webhook_add")


def _change(webhook) -> str:
    return reverse("admin:webhooks_webhook_change", args=[webhook.pk])


def _reveal(webhook) -> str:
    return reverse("admin:webhooks_webhook_reveal_secret", args=[webhook.pk])


def test_each_trigger_shows_only_its_own_fields():
    conditions = trigger_conditions()
    assert conditions["models"] == "event_type == 'push'"
    assert conditions["debounce_s"] == "event_type == 'push'"
    assert conditions["throttle_s"] == "event_type == 'station.studio.newtrack'"
    assert "delay_s" not in conditions  # a delay applies to every trigger


def test_the_add_page_has_no_health_and_no_masked_placeholder_secret(admin_client):
    page = admin_client.get(ADD).content.decode()
    assert 'x-show="event_type == &#x27;push&#x27;"' in page
    assert "Health" not in page and "recent deliveries" not in page
    assert "whsec_…" not in page and 'id="reveal-secret"' not in page


def test_a_generated_secret_is_shown_once_with_a_copy_button(admin_client, httpserver):
    station = StationFactory()
    response = admin_client.post(
        ADD,
        {
            "station": station.pk,
            "name": "Website widget",
            "url": httpserver.url_for("/hook"),
            "event_type": "station.studio.newtrack",
            "enabled": "on",
            "delay_s": 0,
            "throttle_s": 5,
            "debounce_s": 0,
        },
        follow=True,
    )
    webhook = Webhook.objects.get()
    page = response.content.decode()
    assert f'<code id="shown-secret-{webhook.pk}">{webhook.secret}</code>' in page
    assert f'data-copy="#shown-secret-{webhook.pk}"' in page
    again = admin_client.get(_change(webhook)).content.decode()
    assert webhook.secret not in again and webhook.masked_secret in again


def test_reveal_secret_shows_it_and_writes_the_history(admin_client, admin_user):
    webhook = WebhookFactory()
    page = admin_client.get(_change(webhook)).content.decode()
    assert 'id="reveal-secret"' in page and webhook.secret not in page
    assert admin_client.get(_reveal(webhook)).status_code == 302  # a GET reveals nothing
    response = admin_client.post(_reveal(webhook))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert f'<code id="revealed-secret" class="sh-nowrap">{webhook.secret}</code>' in (
        response.content.decode()
    )
    (entry,) = LogEntry.objects.filter(object_id=str(webhook.pk))
    assert entry.user == admin_user and entry.get_change_message() == (
        "Revealed the signing secret."
    )


def test_a_viewer_can_neither_see_the_button_nor_reveal(client, django_user_model):
    webhook = WebhookFactory()
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhook"))
    client.force_login(viewer)
    page = client.get(_change(webhook)).content.decode()
    assert 'id="reveal-secret"' not in page
    response = client.post(_reveal(webhook), follow=True)
    assert webhook.secret not in response.content.decode()
    assert not LogEntry.objects.exists()
    assert not [m for m in get_messages(response.wsgi_request) if webhook.secret in str(m)]
