"""django-q2 entry points, kept thin: they call the delivery engine and the resync job."""

from django_q.conf import Conf

from webhooks import due_poller, engine, resync, retention

__all__ = ["drain_due_deliveries", "prune_delivery_log", "run_resync"]


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


def prune_delivery_log() -> int:
    return retention.prune_delivery_log()
