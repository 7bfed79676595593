"""Putting work on the django-q2 queue: the only place that talks to the broker.

A send task sends whatever is due when it runs (oldest first, batch after batch), not a
list of deliveries fixed when it was queued. So fresh deliveries need a task only when
none is already waiting in the queue: under a burst of single changes, many messages ride
on one task, and the cost per message (a task's trip through the broker, the claim, the
record) falls as the load rises instead of piling up. A waiting task of another kind (a
resync, a schedule) can also make a publisher skip; the due-time poller
(webhooks.dispatch) then queues a send task within WEBHOOKS_DISPATCH_POLL_S.
"""

import math

from django_q.brokers import Broker, get_broker
from django_q.tasks import async_task

__all__ = ["BATCH_SIZE", "queue_drain", "queue_resync", "queue_sending", "queued_task_count"]

BATCH_SIZE = 100
SEND_TASK = "webhooks.tasks.drain_due_deliveries"

_broker: Broker | None = None


def _get_broker() -> Broker:
    """One broker per process: without it async_task builds a client per call."""
    global _broker
    if _broker is None:
        _broker = get_broker()
    return _broker


def queue_sending(count: int) -> None:
    """Have enough send tasks waiting for `count` deliveries that just became due: one per
    BATCH_SIZE (so a big batch spreads over every worker), less the tasks already waiting."""
    for _ in range(math.ceil(count / BATCH_SIZE) - queued_task_count()):
        queue_drain()


def queue_drain() -> None:
    async_task(SEND_TASK, broker=_get_broker())


def queue_resync(job_id: int) -> None:
    async_task("webhooks.tasks.run_resync", job_id, broker=_get_broker())


def queued_task_count() -> int:
    """Tasks in the queue that no worker has taken yet."""
    return _get_broker().queue_size()
