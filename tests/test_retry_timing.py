"""With real `qcluster` processes, a retry fires within seconds of its due time (not at
django-q2's ~30 s scheduler tick), on the ORM broker and on the Redis broker."""

import pytest
from django.db import transaction

from processes import stop_group, wait_for
from tests.cluster_helpers import start_cluster
from tests.factories import WebhookFactory
from tests.webhook_helpers import publish_track_unqueued
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RETRY_DELAY_S = 2


def test_retry_fires_close_to_its_due_time(httpserver, broker_env):
    # given a receiver that fails once, then accepts
    httpserver.expect_ordered_request("/hook").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok", status=200)
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    with transaction.atomic():
        publish_track_unqueued(webhook)
    # when a real worker cluster runs
    cluster = start_cluster(WEBHOOKS_RETRY_DELAYS_S=str(RETRY_DELAY_S), **broker_env)
    try:
        delivered = wait_for(
            lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).exists(), 30
        )
    finally:
        stop_group(cluster)
    # then the second attempt came about RETRY_DELAY_S (±20 % jitter) after the first
    assert delivered
    first, second = Delivery.objects.get().attempts.all()
    first_ended = first.started_at.timestamp() + first.duration_ms / 1000
    lag = second.started_at.timestamp() - first_ended
    broker = "redis" if broker_env else "orm"
    print(f"\nretry timing ({broker}): due after {RETRY_DELAY_S} s, sent after {lag:.2f} s")
    assert RETRY_DELAY_S * 0.8 - 0.1 <= lag <= RETRY_DELAY_S * 1.2 + 1.5
