"""Getting due deliveries sent: the only place that talks to the django-q2 queue.

A send task sends whatever is due when it runs (oldest first, batch after batch), not a
list of deliveries fixed when it was queued, so one task per worker covers any backlog.

Publishing never writes a task: it announces that deliveries are due
(`announce_due_deliveries`, in the transaction that wrote them), and the due-time poller of
every worker process (webhooks.dispatch) queues the send tasks:
- on PostgreSQL the announcement is `NOTIFY stationhooks_due`, which PostgreSQL delivers at
  commit, never for a rolled-back change; the pollers LISTEN and wake at once;
- on SQLite (one machine), which has no NOTIFY, nothing is sent: the pollers look every
  WEBHOOKS_DISPATCH_POLL_S (0.1 s there);
- in django-q2's `sync` mode (the test settings) a drain runs in-process after commit.

So a publish costs one cheap statement, whatever the broker, and nothing is lost if an
announcement is: a poller that missed it (reconnecting, say) finds the deliveries at its
next look, and a minutely schedule sweeps as well.
"""

import math

from django.conf import settings
from django.db import connection, transaction
from django_q.brokers import Broker, get_broker
from django_q.conf import Conf
from django_q.tasks import async_task

__all__ = [
    "BATCH_SIZE",
    "DUE_CHANNEL",
    "announce_due_deliveries",
    "queue_drains_for",
    "queue_resync",
    "queued_task_count",
]

BATCH_SIZE = 100
DUE_CHANNEL = "stationhooks_due"
SEND_TASK = "webhooks.tasks.drain_due_deliveries"

_broker: Broker | None = None


def _get_broker() -> Broker:
    """One broker per process: without it async_task builds a client per call."""
    global _broker
    if _broker is None:
        _broker = get_broker()
    return _broker


def announce_due_deliveries() -> None:
    """Have the deliveries that are due now sent once the current transaction commits (at
    once outside one). See the module docstring."""
    if Conf.SYNC:
        transaction.on_commit(_queue_drain)
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {DUE_CHANNEL}")


def queue_drains_for(due: int) -> int:
    """Top the queue up to one waiting send task per BATCH_SIZE of `due` deliveries, at
    most one per worker; returns how many were queued. The due-time poller calls it."""
    wanted = min(math.ceil(due / BATCH_SIZE), settings.Q_WORKERS)
    missing = wanted - queued_task_count() if wanted else 0
    for _ in range(missing):
        _queue_drain()
    return max(missing, 0)


def _queue_drain() -> None:
    async_task(SEND_TASK, broker=_get_broker())


def queue_resync(job_id: int) -> None:
    async_task("webhooks.tasks.run_resync", job_id, broker=_get_broker())


def queued_task_count() -> int:
    """Tasks in the queue that no worker has taken yet."""
    return _get_broker().queue_size()
