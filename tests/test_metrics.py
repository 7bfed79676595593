"""/metrics: Prometheus text for a bearer token only; every value read from the database,
so any web process answers for every worker."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import WebhookFactory
from tests.webhook_helpers import publish_track_unqueued
from webhooks import engine
from webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-0123456789"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_without_the_token_there_are_no_metrics(client, token):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics")["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403


def test_metrics_are_off_until_a_token_is_set(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403 and b"METRICS_TOKEN" in response.content


def test_outcomes_latency_backlog_in_flight_and_breakers(client, token, httpserver):
    # given two delivered messages, one due and waiting, one in flight at a worker, and a
    # webhook whose breaker is open
    httpserver.expect_request("/hook").respond_with_data("ok")
    delivered = WebhookFactory(url=httpserver.url_for("/hook"))
    publish_track_unqueued(delivered)
    publish_track_unqueued(delivered)
    engine.drain_due_deliveries()
    waiting = publish_track_unqueued(WebhookFactory()).deliveries.get()
    Delivery.objects.filter(pk=waiting.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=90)
    )
    leased = publish_track_unqueued(WebhookFactory()).deliveries.get()
    Delivery.objects.filter(pk=leased.pk).update(
        lease_expires_at=timezone.now() + timedelta(seconds=30)
    )
    broken = WebhookFactory()
    Webhook.objects.filter(pk=broken.pk).update(
        breaker_retry_at=timezone.now() + timedelta(minutes=5)
    )

    # when Prometheus scrapes
    metrics = scrape(client)

    # then
    assert metrics[("stationhooks_deliveries_total", (("outcome", "delivered"),))] == 2
    assert metrics[("stationhooks_deliveries_total", (("outcome", "failed"),))] == 0
    assert metrics[("stationhooks_delivery_latency_seconds_count", ())] == 2
    assert metrics[("stationhooks_delivery_latency_seconds_bucket", (("le", "+Inf"),))] == 2
    assert metrics[("stationhooks_due_deliveries", ())] == 1
    assert 89 < metrics[("stationhooks_due_oldest_age_seconds", ())] < 120
    assert metrics[("stationhooks_in_flight_deliveries", ())] == 1
    assert metrics[("stationhooks_endpoints", (("state", "open"),))] == 1
    assert metrics[("stationhooks_endpoints", (("state", "closed"),))] == 3
