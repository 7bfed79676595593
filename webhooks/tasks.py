"""django-q2 entry points, kept thin: they call the delivery engine, the resync job, the
alert policies and retention. Periodic ones declare their schedule here (config.periodic)."""

from django.utils import timezone
from django_q.conf import Conf

from config.periodic import periodic
from webhooks import alerts, due_poller, engine, resync, retention

__all__ = [
    "drain_due_deliveries",
    "evaluate_alert_policies",
    "prune_delivery_log",
    "prune_inbound_log",
    "run_resync",
]


@periodic("Sweep due and stuck deliveries", minutes=1)
def drain_due_deliveries() -> int:
    """The minutely sweep, and the sync mode's send after commit: in a worker process it
    wakes the engine (starting it if it is not running); in sync mode it sends what is due
    from this thread. Returns how many deliveries it sent itself."""
    if Conf.SYNC:
        return engine.drain_due_deliveries()
    due_poller.start_delivery_engine()
    due_poller.running_sender().wake()
    return 0


def run_resync(job_id: int) -> None:
    resync.run_resync(job_id)


@periodic("Prune the delivery log", hourly=True)
def prune_delivery_log() -> int:
    return retention.prune_delivery_log()


@periodic("Prune the inbound log", hourly=True)
def prune_inbound_log() -> int:
    return retention.prune_inbound_log()


@periodic("Evaluate alert policies", minutes=1)
def evaluate_alert_policies() -> int:
    """The alert policies' tick: a grace period ends on time even when no check of the
    stream arrives at that moment. Returns the alerts published."""
    return alerts.evaluate_alert_policies(now=timezone.now())
