"""django-q2 entry points, kept thin: they call the delivery engine."""

from django_q.brokers import Broker, get_broker
from django_q.tasks import async_task

from webhooks import delivery

__all__ = [
    "drain_due_deliveries",
    "queue_deliveries",
    "queue_drain",
    "queued_task_count",
    "send_deliveries",
]

_broker: Broker | None = None


def _get_broker() -> Broker:
    """One broker per process: without it async_task builds a client per call."""
    global _broker
    if _broker is None:
        _broker = get_broker()
    return _broker


def send_deliveries(delivery_ids: list[int]) -> int:
    return delivery.send_deliveries(ids=delivery_ids, limit=len(delivery_ids))


def drain_due_deliveries() -> int:
    return delivery.drain_due_deliveries()


def queue_deliveries(delivery_ids: list[int]) -> None:
    """Queue freshly written deliveries, BATCH_SIZE per task."""
    size = delivery.BATCH_SIZE
    for start in range(0, len(delivery_ids), size):
        async_task(
            "webhooks.tasks.send_deliveries",
            delivery_ids[start : start + size],
            broker=_get_broker(),
        )


def queue_drain() -> None:
    async_task("webhooks.tasks.drain_due_deliveries", broker=_get_broker())


def queued_task_count() -> int:
    return _get_broker().queue_size()
