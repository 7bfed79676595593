"""Pause holds a webhook's deliveries queued (created, not sent) until Resume, which sends
them through the engine's own claim; Disable drops new ones. Both buttons write the admin
history, and the page says how they differ."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import WebhookFactory
from tests.webhook_helpers import publish_track_unqueued
from webhooks import engine
from webhooks.choices import DeliveryStatus
from webhooks.event_types import NEWTRACK
from webhooks.holding import PAUSED_UNTIL, webhook_pause
from webhooks.models import Delivery
from webhooks.selectors import webhooks_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook(httpserver):
    httpserver.expect_request("/hook").respond_with_data("ok")
    return WebhookFactory(url=httpserver.url_for("/hook"))


def _post(client, name: str, webhook):
    return client.post(reverse(f"admin:webhooks_webhook_{name}", args=[webhook.pk]), follow=True)


def test_pause_holds_deliveries_and_resume_sends_them_in_order(admin_client, webhook, httpserver):
    # given one delivery queued before the pause
    before = publish_track_unqueued(webhook).deliveries.get()
    # when the operator pauses, and more events come
    response = _post(admin_client, "pause", webhook)
    assert "1 queued deliveries held" in response.content.decode()
    during = [publish_track_unqueued(webhook).deliveries.get() for _ in range(2)]
    # then they are created, and the engine sends none of them
    assert engine.drain_due_deliveries() == 0
    assert httpserver.log == []
    held = Delivery.objects.filter(webhook=webhook)
    assert held.count() == 3
    assert set(held.values_list("status", "next_attempt_at")) == {
        (DeliveryStatus.PENDING, PAUSED_UNTIL)
    }
    webhook.refresh_from_db()
    page = admin_client.get(reverse("admin:webhooks_webhook_change", args=[webhook.pk]))
    assert "<strong>Paused</strong> since" in page.content.decode()
    assert 'id="resume-webhook"' in page.content.decode()
    listing = admin_client.get(reverse("admin:webhooks_webhook_changelist")).content.decode()
    assert "paused: deliveries held until Resume" in listing
    log = admin_client.get(reverse("admin:webhooks_delivery_changelist")).content.decode()
    assert log.count("held: webhook paused, sent on Resume") == 3 and "9999" not in log
    detail = admin_client.get(reverse("admin:webhooks_delivery_change", args=[before.pk]))
    assert "held until the webhook resumes" in detail.content.decode()
    assert "9999" not in detail.content.decode()
    # when the operator resumes
    response = _post(admin_client, "resume", webhook)
    assert "3 held deliveries go out now" in response.content.decode()
    assert engine.drain_due_deliveries() == 3
    # then all three went out, oldest first
    assert set(held.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    sent_order = [d.pk for d in held.order_by("attempts__started_at")]
    assert sent_order == [before.pk, *(d.pk for d in during)]
    assert list(
        LogEntry.objects.filter(object_id=str(webhook.pk))
        .order_by("pk")
        .values_list("change_message", flat=True)
    ) == ["Paused: new deliveries held until Resume.", "Resumed: 3 held deliveries sent."]


def test_a_delivery_due_again_while_paused_is_held_by_the_claim(webhook, httpserver):
    # given a paused webhook whose delivery falls due again (a retry, a redelivery)
    delivery = publish_track_unqueued(webhook).deliveries.get()
    webhook_pause(webhook=webhook)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    # when the engine claims
    assert engine.drain_due_deliveries() == 0
    # then it held it again instead of sending it
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == PAUSED_UNTIL and httpserver.log == []


def test_disable_drops_new_deliveries_where_pause_keeps_them(admin_client, webhook):
    # given a paused webhook and a disabled one
    paused = WebhookFactory(station=webhook.station, event_type=NEWTRACK.name)
    webhook_pause(webhook=paused)
    webhook.enabled = False
    webhook.save()
    # then new events are for the paused one only
    assert list(webhooks_for(webhook.station, NEWTRACK.name)) == [paused]
    page = admin_client.get(reverse("admin:webhooks_webhook_change", args=[webhook.pk]))
    text = page.content.decode()
    assert "<strong>Disabled</strong>" in text
    assert "<strong>Pause</strong> holds new deliveries queued" in text


def test_a_viewer_cannot_pause(client, django_user_model, webhook):
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhook"))
    client.force_login(viewer)
    page = client.get(reverse("admin:webhooks_webhook_change", args=[webhook.pk]))
    assert 'id="pause-webhook"' not in page.content.decode()
    _post(client, "pause", webhook)
    webhook.refresh_from_db()
    assert webhook.paused_at is None and not LogEntry.objects.exists()
