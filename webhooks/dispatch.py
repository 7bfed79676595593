"""Due-time dispatch: retries fire within about a second of their due time.

django-q2's scheduler only wakes every ~30 s, so each worker process runs a small daemon
thread that checks once per WEBHOOKS_DISPATCH_POLL_S for deliveries that are due (a retry
whose wait is over, a delayed send, a lease left by a dead worker) and queues a drain task
when the queue is not already busy. A minutely django-q2 schedule does the same as a
safety net. Claims are atomic, so extra drain tasks cost a query, never a duplicate send.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections
from django_q.conf import Conf

from webhooks import delivery, queueing

__all__ = ["start_due_delivery_poller"]

logger = logging.getLogger("stationhooks.dispatch")


def _poll_forever() -> None:
    while True:
        time.sleep(settings.WEBHOOKS_DISPATCH_POLL_S)
        try:
            close_old_connections()
            if delivery.has_due_deliveries() and queueing.queued_task_count() < settings.Q_WORKERS:
                queueing.queue_drain()
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
