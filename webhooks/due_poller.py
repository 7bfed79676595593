"""The due-time poller: wakes this worker process's delivery engine when deliveries fall due,
and its inbox worker when inbox rows arrive.

Each worker process runs the engine (webhooks.engine.Sender, a coordinator thread and an
event-loop thread), the inbox worker (inbox.InboxWorker: the gateway's accepted inbound
requests, and the plays the now-playing hooks recorded) and one poller thread. The
poller knows these kinds of due work, each announced on a channel of its own. It wakes a
kind when its announcement arrives (on PostgreSQL it LISTENs on a connection of its own,
and the NOTIFY of a commit wakes it at once) and every WEBHOOKS_DISPATCH_POLL_S besides,
however busy the other channels are: for retries, delayed sends, leases left by a dead
worker, rows whose announcement was lost. An announcement on its own wakes at once; a
burst makes at most one wake-up per MIN_LOOK_INTERVAL_S. Claims are atomic, so a
needless wake-up costs a query, never a duplicate.

Deliveries never ride on django-q2's task queue, so a stuck queue (a worker process killed
while it waited for a task takes the queue's lock with it, django-q2 issue #23) does not
hold them up; a minutely django-q2 schedule still wakes the engine, as a safety net.
"""

import functools
import logging
import multiprocessing.util
import threading
import time
from collections.abc import Callable

import psycopg
from django.conf import settings
from django.db import connection
from django_q.conf import Conf

from inbox import InboxWorker, Processor
from stations.inbound import TRACK_PLAYS_CHANNEL, track_plays_announce
from webhooks import queueing
from webhooks.engine import Sender
from webhooks.gateway import processing

__all__ = [
    "DueListener",
    "inbox_processors",
    "running_inbox_worker",
    "running_sender",
    "start_delivery_engine",
]

logger = logging.getLogger("stationhooks.engine")

MIN_LOOK_INTERVAL_S = 0.05


class DueListener:
    """Waits for a NOTIFY on any of `channels` on a connection of its own (PostgreSQL only;
    elsewhere it just sleeps). A wait that times out checks the connection is alive, so a
    connection that died quietly does not leave the poller deaf; a lost one is opened again
    at the next wait, which then returns every channel at once: announcements made while
    nobody listened call for a look."""

    def __init__(self, channels: tuple[str, ...] = (queueing.DUE_CHANNEL,)) -> None:
        self.channels = frozenset(channels)
        self._connection: psycopg.Connection | None = None
        self._woken_at = 0.0

    def wait(self, timeout_s: float) -> frozenset[str]:
        """Block until an announcement arrives or `timeout_s` passes; returns the channels
        announced on (empty after a timeout). An announcement within MIN_LOOK_INTERVAL_S of
        the last one waits out the interval, and all that came meanwhile make one wake-up."""
        if connection.vendor != "postgresql":
            time.sleep(timeout_s)
            return frozenset()
        try:
            if self._connection is None:
                self._listen()
                return self.channels
            listening = self._connection
            first = list(listening.notifies(timeout=timeout_s, stop_after=1))
            if not first:
                listening.execute("SELECT 1")  # announcements meanwhile are kept for later
                return frozenset()
            time.sleep(max(self._woken_at + MIN_LOOK_INTERVAL_S - time.monotonic(), 0))
            heard = {n.channel for n in first} | {n.channel for n in listening.notifies(timeout=0)}
            self._woken_at = time.monotonic()
            return frozenset(heard)
        except psycopg.Error:
            logger.warning("Lost the connection that listens for due work; reopening")
            self.close()
            time.sleep(timeout_s)
            return frozenset()

    def _listen(self) -> None:
        self._connection = psycopg.connect(**connection.get_connection_params(), autocommit=True)
        for channel in sorted(self.channels):
            self._connection.execute(f"LISTEN {channel}")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _poll_forever(wakers: dict[str, Callable[[], None]]) -> None:
    """Wake each kind of due work (its channel: its wake-up) when it is announced, and
    each at least every WEBHOOKS_DISPATCH_POLL_S whatever the others' traffic."""
    listener = DueListener(tuple(wakers))
    poll_s = settings.WEBHOOKS_DISPATCH_POLL_S
    heard, looked_at = frozenset(wakers), dict.fromkeys(wakers, 0.0)
    while True:
        now = time.monotonic()
        for channel, wake in wakers.items():
            if channel in heard or now - looked_at[channel] >= poll_s:
                wake()
                looked_at[channel] = now
        try:
            heard = listener.wait(poll_s)
        except Exception:
            logger.exception("Waiting for announced work failed; looking on the timer")
            listener.close()
            time.sleep(poll_s)
            heard = frozenset()


def inbox_processors() -> list[Processor]:
    """The kinds of inbox rows the workers process (see the inbox package)."""
    return [
        Processor(processing.INBOUND_CHANNEL, processing.process_due_requests),
        Processor(TRACK_PLAYS_CHANNEL, track_plays_announce),
    ]


_sender: Sender | None = None
_inbox_worker: InboxWorker | None = None
_started = threading.Lock()


def running_sender() -> Sender | None:
    """This process's engine, if it runs one."""
    return _sender


def running_inbox_worker() -> InboxWorker | None:
    """This process's inbox worker, if it runs one."""
    return _inbox_worker


def start_delivery_engine(**_signal_kwargs) -> None:
    """django-q2 `post_spawn` receiver: starts the engine, the inbox worker and their
    poller in each worker process, once. At the process's orderly exit the engine stops
    claiming and records the sends still in flight (for at most a few seconds; a send cut
    short is sent again once its lease expires), and the inbox worker stops after the row
    it is processing (a row cut short is processed again by the next look).

    In `sync` mode (the test settings) django-q2 sends `post_spawn` for every task it runs
    in-process; there is no worker process then, and no engine either."""
    global _sender, _inbox_worker
    if Conf.SYNC:
        return
    with _started:
        if _sender is not None:
            return
        _sender = Sender()
        _inbox_worker = InboxWorker(inbox_processors())
    engine = threading.Thread(target=_sender.run_forever, name="delivery-engine")
    engine.start()
    inbox = threading.Thread(target=_inbox_worker.run_forever, name="inbox-worker")
    inbox.start()
    wakers = {queueing.DUE_CHANNEL: _sender.wake}
    wakers |= {
        channel: functools.partial(_inbox_worker.wake, channel)
        for channel in _inbox_worker.channels
    }
    threading.Thread(
        target=_poll_forever, args=(wakers,), name="due-delivery-poller", daemon=True
    ).start()

    def stop_engine() -> None:
        _sender.stop()
        _inbox_worker.stop()
        engine.join()
        inbox.join()

    multiprocessing.util.Finalize(_sender, stop_engine, exitpriority=100)
