"""Fault: one endpoint's receiver accepts connections and never answers, against a real
`qcluster` on PostgreSQL. Its deliveries, older than everybody else's, occupy only its own
in-flight cap: the healthy endpoints' deliveries all arrive while its requests are still
held open, and it never has more requests open than its cap."""

import socket
import threading
import time

import pytest
from django.db import transaction

from processes import stop_group, wait_for
from tests.cluster_helpers import start_cluster
from tests.factories import WebhookFactory
from tests.faults.chaos_receiver import ChaosReceiver
from tests.faults.runs import print_summary, publish_tracks_unqueued
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery, DeliveryAttempt

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

DEAD_DELIVERIES = 40
HEALTHY_ENDPOINTS = 5
HEALTHY_DELIVERIES = 40  # each
CAP = 4
# Far longer than the test: while it runs, a request to the dead receiver is only ever held.
REQUEST_TIMEOUT_S = 300
RUN_TIMEOUT_S = 60


class BlackHole:
    """Accepts connections on 127.0.0.1, reads what comes, never answers."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/hook"
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> "BlackHole":
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self) -> None:
        while not self._closed:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._held.append(connection)

    def requests_held(self) -> int:
        """Open connections on which a request has arrived."""
        with self._lock:
            held = 0
            for connection in self._held:
                connection.setblocking(False)
                try:
                    data = connection.recv(65536, socket.MSG_PEEK)
                except BlockingIOError:
                    continue
                except OSError:
                    continue
                held += bool(data)
            return held

    def __exit__(self, *_exc) -> None:
        self._closed = True
        self._listener.close()
        with self._lock:
            for connection in self._held:
                connection.close()


def test_a_dead_receiver_holds_up_only_its_own_endpoint():
    with BlackHole() as dead, ChaosReceiver() as healthy:
        # given a dead endpoint's deliveries, older than those of five healthy endpoints
        dead_webhook = WebhookFactory(url=dead.url)
        healthy_webhooks = [WebhookFactory(url=healthy.url) for _ in range(HEALTHY_ENDPOINTS)]
        with transaction.atomic():
            publish_tracks_unqueued(dead_webhook, DEAD_DELIVERIES)
            healthy_ids = set()
            for webhook in healthy_webhooks:
                healthy_ids |= set(publish_tracks_unqueued(webhook, HEALTHY_DELIVERIES))

        # when a cluster sends them
        cluster = start_cluster(
            WEBHOOKS_REQUEST_TIMEOUT_S=str(REQUEST_TIMEOUT_S),
            WEBHOOKS_ENDPOINT_MAX_IN_FLIGHT=str(CAP),
        )
        try:
            all_healthy_arrived = wait_for(
                lambda: healthy_ids <= set(healthy.served), RUN_TIMEOUT_S
            )
            time.sleep(0.5)  # let the healthy sends be recorded
            held_then = dead.requests_held()
            dead_then = list(
                Delivery.objects.filter(webhook=dead_webhook).values_list(
                    "attempt_count", "lease_expires_at"
                )
            )
            healthy_statuses = set(
                Delivery.objects.exclude(webhook=dead_webhook).values_list("status", flat=True)
            )
        finally:
            stop_group(cluster, grace_s=10)

        # then every healthy message arrived while the dead receiver still held requests,
        # no more of them than the cap, and none of its deliveries burned an attempt
        print_summary(
            "dead_receiver",
            deliveries=DEAD_DELIVERIES + HEALTHY_ENDPOINTS * HEALTHY_DELIVERIES,
            attempts=DeliveryAttempt.objects.count(),
            lost=len(healthy_ids - set(healthy.served)),
            duplicates=healthy.requests_served() - len(healthy.served),
            held=held_then,
        )
        assert all_healthy_arrived
        assert healthy_statuses == {DeliveryStatus.DELIVERED}
        assert 1 <= held_then <= CAP
        assert sum(attempts for attempts, _ in dead_then) == 0
        assert sum(lease is not None for _, lease in dead_then) == held_then
