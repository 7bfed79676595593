"""Operators see an endpoint's breaker on the webhook page, the dashboard and the delivery
log ("held: endpoint failing, next try at HH:MM"), and can try the endpoint now."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import WebhookFactory
from tests.webhook_helpers import publish_track_unqueued
from webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db

REASON = "Timeout: no complete answer within 30 s"


@pytest.fixture
def held():
    """A webhook whose breaker is open for ten more minutes, holding one delivery."""
    webhook = WebhookFactory(name="Dead receiver")
    retry_at = (timezone.now() + timedelta(minutes=10)).replace(second=0, microsecond=0)
    Webhook.objects.filter(pk=webhook.pk).update(
        breaker_failures=5, breaker_trips=1, breaker_retry_at=retry_at, breaker_reason=REASON
    )
    delivery = publish_track_unqueued(webhook).deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=retry_at)
    webhook.refresh_from_db()
    return webhook


def test_the_webhook_page_says_it_is_held_until_when_and_why(admin_client, held):
    page = admin_client.get(reverse("admin:webhooks_webhook_change", args=[held.pk])).content
    text = page.decode()
    assert f"held: endpoint failing, next try at {held.breaker_retry_at:%H:%M} UTC" in text
    assert REASON in text
    assert 'id="try-now"' in text


def test_a_webhook_that_is_not_held_has_no_try_now_button(admin_client):
    webhook = WebhookFactory()
    page = admin_client.get(reverse("admin:webhooks_webhook_change", args=[webhook.pk]))
    assert 'id="try-now"' not in page.content.decode()
    assert "sending" in page.content.decode()


def test_try_now_lets_the_held_deliveries_go_at_once(admin_client, held):
    # when the operator presses "Try now"
    response = admin_client.post(reverse("admin:webhooks_webhook_try_now", args=[held.pk]))
    # then the breaker is half-open (the probe may go) and its delivery is due now
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.breaker_retry_at <= timezone.now()
    assert Delivery.objects.get(webhook=held).next_attempt_at <= timezone.now()


def test_the_dashboard_lists_held_webhooks(admin_client, held):
    text = admin_client.get(reverse("admin:index")).content.decode()
    assert "Held webhooks" in text and "Dead receiver" in text
    assert f"next try at {held.breaker_retry_at:%H:%M} UTC" in text


def test_the_delivery_log_shows_held_deliveries(admin_client, held):
    text = admin_client.get(reverse("admin:webhooks_delivery_changelist")).content.decode()
    assert f"endpoint failing, next try at {held.breaker_retry_at:%H:%M} UTC" in text
