"""Crash safety with real `qcluster` processes on PostgreSQL: SIGKILL the whole cluster
mid-run, start it again, and every delivery still ends delivered."""

import threading
import time
from collections import Counter

import pytest
from django.db import transaction
from werkzeug import Response

from processes import kill_group, stop_group, wait_for
from tests.cluster_helpers import start_cluster
from tests.factories import WebhookFactory
from tests.webhook_helpers import publish_track_unqueued
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DELIVERIES = 1000


def test_sigkill_mid_run_loses_nothing(httpserver):
    # given a receiver that counts webhook-ids, and 1,000 committed deliveries
    received: Counter = Counter()
    lock = threading.Lock()

    def receive(request):
        time.sleep(0.002)
        with lock:
            received[request.headers["webhook-id"]] += 1
        return Response("ok")

    httpserver.expect_request("/hook").respond_with_handler(receive)
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    with transaction.atomic():
        message_ids = {publish_track_unqueued(webhook).message_id for _ in range(DELIVERIES)}

    # when the whole cluster is killed part-way
    cluster = start_cluster()
    try:
        assert wait_for(lambda: sum(received.values()) >= 300, 60), "worker never started"
    finally:
        kill_group(cluster)
    in_flight = Delivery.objects.filter(
        status=DeliveryStatus.PENDING, lease_expires_at__isnull=False
    ).count()
    delivered_at_kill = Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
    assert delivered_at_kill < DELIVERIES, "the run finished before the kill"

    # and started again
    cluster = start_cluster()
    try:
        finished = wait_for(
            lambda: not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists(), 120
        )
    finally:
        stop_group(cluster)

    # then every delivery was delivered, and only in-flight ones were sent twice
    assert finished, Counter(Delivery.objects.values_list("status", flat=True))
    assert set(received) == message_ids
    duplicates = sum(received.values()) - len(received)
    print(
        f"\ncrash test: deliveries={DELIVERIES} delivered_at_kill={delivered_at_kill} "
        f"in_flight_at_kill={in_flight} requests={sum(received.values())} lost=0 "
        f"duplicates={duplicates}"
    )
    assert duplicates <= in_flight
