"""Putting work on the django-q2 queue: the only place that talks to the broker."""

from django_q.brokers import Broker, get_broker
from django_q.tasks import async_task

__all__ = ["queue_deliveries", "queue_drain", "queue_resync", "queued_task_count"]

BATCH_SIZE = 100

_broker: Broker | None = None


def _get_broker() -> Broker:
    """One broker per process: without it async_task builds a client per call."""
    global _broker
    if _broker is None:
        _broker = get_broker()
    return _broker


def queue_deliveries(delivery_ids: list[int]) -> None:
    """Queue freshly written deliveries, BATCH_SIZE per task."""
    for start in range(0, len(delivery_ids), BATCH_SIZE):
        async_task(
            "webhooks.tasks.send_deliveries",
            delivery_ids[start : start + BATCH_SIZE],
            broker=_get_broker(),
        )


def queue_drain() -> None:
    async_task("webhooks.tasks.drain_due_deliveries", broker=_get_broker())


def queue_resync(job_id: int) -> None:
    async_task("webhooks.tasks.run_resync", job_id, broker=_get_broker())


def queued_task_count() -> int:
    return _get_broker().queue_size()
