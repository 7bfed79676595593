"""Getting work to the workers: the announcement of due deliveries, and the resync task.

Publishing never writes a task: it announces that deliveries are due
(`announce_due_deliveries`, in the transaction that wrote them), and the delivery engine
of every worker process (webhooks.engine, woken by its due-time poller, webhooks.due_poller)
claims them:
- on PostgreSQL the announcement is `NOTIFY stationhooks_due`, which PostgreSQL delivers at
  commit, never for a rolled-back change; the pollers LISTEN and wake their engine at once;
- on SQLite (one machine), which has no NOTIFY, nothing is sent: the pollers look every
  WEBHOOKS_DISPATCH_POLL_S (0.1 s there);
- in django-q2's `sync` mode (the test settings) a drain runs in-process after commit.

So a publish costs one cheap statement, whatever the broker, and nothing is lost if an
announcement is: a poller that missed it (reconnecting, say) finds the deliveries at its
next look, and a minutely schedule sweeps as well.
"""

from django.db import connection, transaction
from django_q.brokers import Broker, get_broker
from django_q.conf import Conf
from django_q.tasks import async_task

__all__ = ["DUE_CHANNEL", "announce_due_deliveries", "queue_resync"]

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
        transaction.on_commit(lambda: async_task(SEND_TASK, broker=_get_broker()))
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {DUE_CHANNEL}")


def queue_resync(job_id: int) -> None:
    async_task("webhooks.tasks.run_resync", job_id, broker=_get_broker())
