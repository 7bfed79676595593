"""django-q2 entry points, kept thin: they call the delivery engine and the resync job."""

from webhooks import delivery, resync, retention

__all__ = ["drain_due_deliveries", "prune_delivery_log", "run_resync"]


def drain_due_deliveries() -> int:
    return delivery.drain_due_deliveries()


def run_resync(job_id: int) -> None:
    resync.run_resync(job_id)


def prune_delivery_log() -> int:
    return retention.prune_delivery_log()
