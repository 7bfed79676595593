"""Crash safety with real `qcluster` processes on PostgreSQL: SIGKILL the whole cluster
mid-run, start it again, and every delivery still ends delivered."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection, transaction
from werkzeug import Response

from tests.factories import WebhookFactory
from tests.webhook_helpers import TRACK_PAYLOAD
from webhooks.choices import DeliveryStatus, Trigger
from webhooks.models import Delivery
from webhooks.publish import publish

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DELIVERIES = 1000
PROJECT_DIR = Path(__file__).resolve().parent.parent


def _start_cluster() -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SECRET_KEY": "crash-test",
        "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1",
        "WEBHOOKS_REQUEST_TIMEOUT_S": "2",
        "WEBHOOKS_CONNECT_TIMEOUT_S": "1",
        "WEBHOOKS_SEND_BUDGET_S": "2",
        "WEBHOOKS_DISPATCH_POLL_S": "0.2",
        "Q_WORKERS": "2",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=PROJECT_DIR,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill_cluster(cluster: subprocess.Popen) -> None:
    """SIGKILL every process of the cluster at once: the crash under test."""
    try:
        os.killpg(cluster.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    cluster.wait(timeout=30)


def _stop_cluster(cluster: subprocess.Popen) -> None:
    """SIGTERM to the main process only, as an init system would; it stops its children."""
    cluster.terminate()
    try:
        cluster.wait(timeout=30)
    finally:
        _kill_cluster(cluster)


def _wait_for(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


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
        message_ids = {
            publish(
                station=webhook.station,
                event_type=Trigger.NEWTRACK,
                payload=TRACK_PAYLOAD,
                webhooks=[webhook],
                queue_after_commit=False,
            ).message_id
            for _ in range(DELIVERIES)
        }

    # when the whole cluster is killed part-way
    cluster = _start_cluster()
    try:
        assert _wait_for(lambda: sum(received.values()) >= 300, 60), "worker never started"
    finally:
        _kill_cluster(cluster)
    in_flight = Delivery.objects.filter(
        status=DeliveryStatus.PENDING, lease_expires_at__isnull=False
    ).count()
    delivered_at_kill = Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
    assert delivered_at_kill < DELIVERIES, "the run finished before the kill"

    # and started again
    cluster = _start_cluster()
    try:
        finished = _wait_for(
            lambda: not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists(), 120
        )
    finally:
        _stop_cluster(cluster)

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
