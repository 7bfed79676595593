"""django-q2 entry points, kept thin: they call the delivery engine, the resync job, the
alert policies and retention. Periodic ones declare their schedule here (config.periodic)."""

from django.utils import timezone

from config.periodic import periodic
from webhooks import alerts, delivery, resync, retention

__all__ = [
    "drain_due_deliveries",
    "evaluate_alert_policies",
    "prune_delivery_log",
    "run_resync",
]


@periodic("Sweep due and stuck deliveries", minutes=1)
def drain_due_deliveries() -> int:
    """A safety net: drains due and stuck deliveries even when no worker's due-time
    poller is alive (webhooks.dispatch queues this task too)."""
    return delivery.drain_due_deliveries()


def run_resync(job_id: int) -> None:
    resync.run_resync(job_id)


@periodic("Prune the delivery log", hourly=True)
def prune_delivery_log() -> int:
    return retention.prune_delivery_log()


@periodic("Evaluate alert policies", minutes=1)
def evaluate_alert_policies() -> int:
    """The alert policies' tick: a grace period ends on time even when no check of the
    stream arrives at that moment. Returns the alerts published."""
    return alerts.evaluate_alert_policies(now=timezone.now())
