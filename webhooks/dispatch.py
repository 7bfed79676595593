"""Due-time dispatch: retries fire within about a second of their due time.

django-q2's scheduler only wakes every ~30 s, so each worker process runs a small daemon
thread that checks once per WEBHOOKS_DISPATCH_POLL_S for deliveries that are due (a retry
whose wait is over, a delayed send, a lease left by a dead worker) and queues a drain task
when the queue is not already busy. A minutely django-q2 schedule does the same as a
safety net. Claims are atomic, so extra drain tasks cost a query, never a duplicate send.

If a delivery nobody holds has been due for longer than a lease (longer than any batch
takes), the workers are far behind or the task queue is stuck, and the poller sends due
deliveries from its own thread as well. The queue gets stuck when a worker process dies
while it waits for a task: it takes django-q2's task-queue lock with it, and no worker of
that cluster ever gets a task again (django-q2 issue #23) — but their pollers still run.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections
from django_q.conf import Conf

from webhooks import delivery, queueing

__all__ = ["poll_once", "start_due_delivery_poller"]

logger = logging.getLogger("stationhooks.dispatch")


def poll_once() -> None:
    """One look for due deliveries (see the module docstring)."""
    if not delivery.has_due_deliveries():
        return
    if queueing.queued_task_count() < settings.Q_WORKERS:
        queueing.queue_drain()
    overdue_s = delivery.lease_s()
    if delivery.has_overdue_deliveries(overdue_s=overdue_s):
        logger.warning(
            "Deliveries due for over %.0f s: the workers are behind or the task queue is "
            "stuck (restart the cluster if this persists); sending them from the poller",
            overdue_s,
        )
        delivery.drain_due_deliveries()


def _poll_forever() -> None:
    while True:
        time.sleep(settings.WEBHOOKS_DISPATCH_POLL_S)
        try:
            close_old_connections()
            poll_once()
        except Exception:
            logger.exception("Due-delivery poll failed; trying again")


_started = threading.Event()


def start_due_delivery_poller(**_signal_kwargs) -> None:
    """django-q2 `post_spawn` receiver: starts one poller in each worker process.

    In `sync` mode (the test settings) django-q2 sends `post_spawn` for every task it runs
    in-process; there is no worker process then, and no poller either."""
    if Conf.SYNC or _started.is_set():
        return
    _started.set()
    threading.Thread(target=_poll_forever, name="due-delivery-poller", daemon=True).start()
