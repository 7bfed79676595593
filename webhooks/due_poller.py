"""The due-time poller: wakes this worker process's delivery engine when deliveries fall due.

Each worker process runs the engine (webhooks.engine.Sender, a coordinator thread and an
event-loop thread) and one poller thread. The poller wakes the engine when a publisher
announces due deliveries (on PostgreSQL it LISTENs on a connection of its own, and the
NOTIFY of a committed publish wakes it at once) and every WEBHOOKS_DISPATCH_POLL_S besides,
for retries, delayed sends and leases left by a dead worker. An announcement on its own
wakes it at once; a burst makes at most one wake-up per MIN_LOOK_INTERVAL_S. Claims are
atomic, so a needless wake-up costs a query, never a duplicate send.

Deliveries never ride on django-q2's task queue, so a stuck queue (a worker process killed
while it waited for a task takes the queue's lock with it, django-q2 issue #23) does not
hold them up; a minutely django-q2 schedule still wakes the engine, as a safety net.
"""

import logging
import multiprocessing.util
import threading
import time

import psycopg
from django.conf import settings
from django.db import connection
from django_q.conf import Conf

from webhooks import queueing
from webhooks.engine import Sender

__all__ = ["DueListener", "running_sender", "start_delivery_engine"]

logger = logging.getLogger("stationhooks.engine")

MIN_LOOK_INTERVAL_S = 0.05


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


def _poll_forever(sender: Sender) -> None:
    listener = DueListener()
    while True:
        sender.wake()
        try:
            listener.wait(settings.WEBHOOKS_DISPATCH_POLL_S)
        except Exception:
            logger.exception("Waiting for announced deliveries failed; looking on the timer")
            listener.close()
            time.sleep(settings.WEBHOOKS_DISPATCH_POLL_S)


_sender: Sender | None = None
_started = threading.Lock()


def running_sender() -> Sender | None:
    """This process's engine, if it runs one."""
    return _sender


def start_delivery_engine(**_signal_kwargs) -> None:
    """django-q2 `post_spawn` receiver: starts the engine and its poller in each worker
    process, once. At the process's orderly exit the engine stops claiming and records the
    sends still in flight (for at most a few seconds; a send cut short is sent again once
    its lease expires).

    In `sync` mode (the test settings) django-q2 sends `post_spawn` for every task it runs
    in-process; there is no worker process then, and no engine either."""
    global _sender
    if Conf.SYNC:
        return
    with _started:
        if _sender is not None:
            return
        _sender = Sender()
    engine = threading.Thread(target=_sender.run_forever, name="delivery-engine")
    engine.start()
    threading.Thread(
        target=_poll_forever, args=(_sender,), name="due-delivery-poller", daemon=True
    ).start()

    def stop_engine() -> None:
        _sender.stop()
        engine.join()

    multiprocessing.util.Finalize(_sender, stop_engine, exitpriority=100)
