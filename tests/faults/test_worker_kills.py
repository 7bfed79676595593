"""Fault: the cluster's processes are SIGKILLed again and again during a run of thousands
of deliveries (real `qcluster` on PostgreSQL).

First the idle workers are killed before any work arrives: one of them was waiting on
django-q2's task queue and its lock dies with it, so the replacements never get a task
(django-q2#23); deliveries never ride on that queue, so the replacements' engines keep
them going. Then, during the
run, both workers, a single worker, the sentinel that supervises them and the whole
process group are killed in turn; the test restarts the cluster whenever its main process
is gone, as an init system would. Every delivery must still be delivered exactly once in
the log, and only what was in flight at a kill may reach the receiver twice."""

import time
from collections import Counter

import pytest
from django.db import transaction
from django.utils import timezone

from processes import cluster_tree, kill, kill_group, stop_group, wait_for
from tests.cluster_helpers import start_cluster
from tests.factories import WebhookFactory
from tests.faults.chaos_receiver import ChaosReceiver
from tests.faults.runs import print_summary, publish_tracks_unqueued, unfinished
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery, DeliveryAttempt

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

DELIVERIES = 3000
WORKERS = 2
# Lease = request timeout + 5 s margin = 6 s: what a killed worker held is due again
# within seconds.
CLUSTER_ENV = {
    "Q_WORKERS": str(WORKERS),
    "WEBHOOKS_CONNECT_TIMEOUT_S": "1",
    "WEBHOOKS_REQUEST_TIMEOUT_S": "1",
}
# (share of the messages received, what is killed then)
KILLS = [
    (0.05, "workers"),
    (0.15, "one worker"),
    (0.30, "sentinel"),
    (0.45, "workers"),
    (0.60, "group"),
    (0.75, "workers"),
]
RUN_TIMEOUT_S = 120


def leased_now() -> set[str]:
    """webhook-ids of the deliveries some worker holds now."""
    return set(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING, lease_expires_at__gt=timezone.now()
        ).values_list("event__message_id", flat=True)
    )


def kill_idle_workers(cluster) -> None:
    """Kill the workers of a cluster that has had no work yet, and wait for replacements."""
    assert wait_for(lambda: cluster_tree(cluster.pid, WORKERS, []) is not None, 30)
    time.sleep(1)  # the workers are waiting on the task queue by now
    idle = cluster_tree(cluster.pid, WORKERS, [])
    kill(idle.workers)

    def replaced() -> bool:
        tree = cluster_tree(cluster.pid, WORKERS, idle.auxiliaries)
        return tree is not None and set(tree.workers).isdisjoint(idle.workers)

    assert wait_for(replaced, 30), "the sentinel did not replace the killed workers"


def test_repeated_sigkills_lose_nothing():
    with ChaosReceiver(handling_s=0.002) as receiver:
        # given a cluster whose idle workers were killed (its task queue is stuck), and
        # thousands of committed deliveries to a receiver that records every request
        webhook = WebhookFactory(url=receiver.url)
        cluster = start_cluster(**CLUSTER_ENV)
        try:
            kill_idle_workers(cluster)
            with transaction.atomic():
                message_ids = set(publish_tracks_unqueued(webhook, DELIVERIES))

            # when the cluster's processes are killed one way or another during the run
            pending_kills, done_kills = list(KILLS), []
            in_flight: Counter = Counter()  # webhook-id -> kills it was in flight at
            restarts = 0
            auxiliaries: list[int] = []
            deadline = time.monotonic() + RUN_TIMEOUT_S
            while time.monotonic() < deadline and unfinished():
                time.sleep(0.05)
                if cluster.poll() is not None:  # main process gone: restart the cluster
                    kill_group(cluster)
                    cluster, auxiliaries = start_cluster(**CLUSTER_ENV), []
                    restarts += 1
                    continue
                tree = cluster_tree(cluster.pid, WORKERS, auxiliaries)
                if tree is None:  # starting, or replacing a killed process
                    continue
                auxiliaries = tree.auxiliaries
                if not pending_kills or receiver.requests_served() < (
                    pending_kills[0][0] * DELIVERIES
                ):
                    continue
                _share, target = pending_kills.pop(0)
                if target == "group":
                    kill_group(cluster)
                elif target == "sentinel":
                    kill([tree.sentinel])
                else:
                    kill(tree.workers[:1] if target == "one worker" else tree.workers)
                # what the dead held stays leased until its lease expires: only these
                # messages may reach the receiver more than once
                in_flight.update(leased_now())
                done_kills.append(target)
        finally:
            stop_group(cluster, grace_s=10)

        # then every delivery was delivered and logged once, and nothing was lost
        statuses = Counter(Delivery.objects.values_list("status", flat=True))
        assert statuses == {DeliveryStatus.DELIVERED: DELIVERIES}, (statuses, done_kills)
        assert done_kills == [target for _share, target in KILLS], "the run ended too early"
        lost = len(message_ids - set(receiver.served))
        requests = receiver.requests_served()
        duplicates = requests - len(receiver.served)
        attempts = DeliveryAttempt.objects.count()
        print_summary(
            "worker_sigkill",
            deliveries=DELIVERIES,
            attempts=attempts,
            lost=lost,
            duplicates=duplicates,
            requests=requests,
            kills=1 + len(done_kills),
            restarts=restarts,
            in_flight_at_kills=len(in_flight),
        )
        assert lost == 0 and set(receiver.served) == message_ids
        assert attempts == DELIVERIES  # a send cut short by a kill leaves no attempt row
        resent = {
            webhook_id: len(served) - 1
            for webhook_id, served in receiver.served.items()
            if len(served) > 1
        }
        assert all(extra <= in_flight[webhook_id] for webhook_id, extra in resent.items())
