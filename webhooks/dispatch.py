"""The due-time poller: what gets due deliveries onto the task queue.

Each worker process runs one daemon thread that looks for deliveries that are due (fresh
ones, a retry whose wait is over, a delayed send, a lease left by a dead worker) and tops
the queue up with send tasks (webhooks.queueing). It looks when a publisher announces due
deliveries (on PostgreSQL it LISTENs on a connection of its own, and the NOTIFY of a
committed publish wakes it at once), and every WEBHOOKS_DISPATCH_POLL_S besides, since
django-q2's scheduler only wakes every ~30 s. An announcement on its own is looked at at
once; a burst makes at most one look per MIN_LOOK_INTERVAL_S. A minutely django-q2
schedule looks as well, as a safety net. Claims are atomic, so an extra send task costs a
query, never a duplicate send.

If a delivery nobody holds has been due for longer than a lease (longer than any batch
takes), the workers are far behind or the task queue is stuck, and the poller sends due
deliveries from its own thread as well. The queue gets stuck when a worker process dies
while it waits for a task: it takes django-q2's task-queue lock with it, and no worker of
that cluster ever gets a task again (django-q2 issue #23) — but their pollers still run.
"""

import logging
import threading
import time
from datetime import timedelta

import psycopg
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django_q.conf import Conf

from webhooks import delivery, queueing

__all__ = ["DueListener", "poll_once", "start_due_delivery_poller"]

logger = logging.getLogger("stationhooks.dispatch")

MIN_LOOK_INTERVAL_S = 0.05


def poll_once() -> None:
    """One look for due deliveries (see the module docstring)."""
    due = delivery.due_times(limit=settings.Q_WORKERS * queueing.BATCH_SIZE)
    if not due:
        return
    queueing.queue_drains_for(len(due))
    overdue_s = delivery.lease_s()
    if due[0] <= timezone.now() - timedelta(seconds=overdue_s):
        logger.warning(
            "Deliveries due for over %.0f s: the workers are behind or the task queue is "
            "stuck (restart the cluster if this persists); sending them from the poller",
            overdue_s,
        )
        delivery.drain_due_deliveries()


class DueListener:
    """Waits for `NOTIFY stationhooks_due` on a connection of its own (PostgreSQL only;
    elsewhere it just sleeps). A wait that times out checks the connection is alive, so a
    connection that died quietly does not leave the poller deaf; a lost one is opened again
    at the next wait, which then returns at once: announcements made while nobody listened
    call for a look."""

    def __init__(self) -> None:
        self._connection: psycopg.Connection | None = None
        self._woken_at = 0.0

    def wait(self, timeout_s: float) -> bool:
        """Block until an announcement arrives (True) or `timeout_s` passes (False). An
        announcement within MIN_LOOK_INTERVAL_S of the last one waits out the interval, and
        all that came meanwhile make one wake-up."""
        if connection.vendor != "postgresql":
            time.sleep(timeout_s)
            return False
        try:
            if self._connection is None:
                self._listen()
                return True
            listening = self._connection
            if not any(True for _ in listening.notifies(timeout=timeout_s, stop_after=1)):
                listening.execute("SELECT 1")  # announcements meanwhile are kept for later
                return False
            time.sleep(max(self._woken_at + MIN_LOOK_INTERVAL_S - time.monotonic(), 0))
            for _ in listening.notifies(timeout=0):
                pass
            self._woken_at = time.monotonic()
            return True
        except psycopg.Error:
            logger.warning("Lost the connection that listens for due deliveries; reopening")
            self.close()
            time.sleep(timeout_s)
            return False

    def _listen(self) -> None:
        self._connection = psycopg.connect(**connection.get_connection_params(), autocommit=True)
        self._connection.execute(f"LISTEN {queueing.DUE_CHANNEL}")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _poll_forever() -> None:
    listener = DueListener()
    while True:
        try:
            close_old_connections()
            poll_once()
        except Exception:
            logger.exception("Due-delivery poll failed; trying again")
        try:
            listener.wait(settings.WEBHOOKS_DISPATCH_POLL_S)
        except Exception:
            logger.exception("Waiting for announced deliveries failed; looking on the timer")
            listener.close()
            time.sleep(settings.WEBHOOKS_DISPATCH_POLL_S)


_started = threading.Event()


def start_due_delivery_poller(**_signal_kwargs) -> None:
    """django-q2 `post_spawn` receiver: starts one poller in each worker process.

    In `sync` mode (the test settings) django-q2 sends `post_spawn` for every task it runs
    in-process; there is no worker process then, and no poller either."""
    if Conf.SYNC or _started.is_set():
        return
    _started.set()
    threading.Thread(target=_poll_forever, name="due-delivery-poller", daemon=True).start()
