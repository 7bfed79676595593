"""Putting work on the django-q2 queue: the only place that talks to the broker.

A send task sends whatever is due when it runs (oldest first, batch after batch), not a
list of deliveries fixed when it was queued. So fresh deliveries need a task only when
none is already waiting in the queue: under a burst of changes, many messages ride on one
task, and the cost per message (a task's trip through the broker, the claim, the record)
falls as the load rises instead of piling up.

With the ORM broker (the default) the queue is a table in our database. When no send task
is waiting, the task is written inside the transaction that wrote the deliveries: no
second commit, and it exists exactly when its deliveries do. When one is waiting, it may
still be taken before this transaction commits, so after the commit the queue is looked
at again and a task written if none is waiting any more (a crash just then leaves the
deliveries to the due-time poller). Nothing is locked: a long transaction that publishes
early never holds up the cluster. With Redis, and in django-q2's `sync` mode (which runs a
task as soon as it is queued), the work is queued after commit only. A waiting task of
another kind (a resync, a stream check) can be taken for a send task; the due-time poller
(webhooks.dispatch) then queues one within WEBHOOKS_DISPATCH_POLL_S.
"""

import math

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.tasks import async_task

__all__ = ["BATCH_SIZE", "queue_drain", "queue_resync", "queue_sending", "queued_task_count"]

BATCH_SIZE = 100
SEND_TASK = "webhooks.tasks.drain_due_deliveries"

_broker: Broker | None = None


def _get_broker() -> Broker:
    """One broker per process: without it async_task builds a client per call."""
    global _broker
    if _broker is None:
        _broker = get_broker()
    return _broker


def queue_sending(count: int) -> None:
    """Have send tasks for `count` deliveries that are due now: one per BATCH_SIZE, up to
    one per worker (each sends batch after batch while any is due; other clusters' pollers
    join in on a bigger backlog), less the tasks still waiting when the deliveries are
    committed. Call it in the transaction that wrote them (see the module docstring)."""
    wanted = min(math.ceil(count / BATCH_SIZE), settings.Q_WORKERS)
    if Conf.SYNC or not Conf.ORM:  # sync (tests) runs a task when queued: after commit
        transaction.on_commit(lambda: _queue_drains(wanted - queued_task_count()))
        return
    with transaction.atomic(using=Conf.ORM, savepoint=False):
        waiting = _waiting_tasks(wanted)
        _queue_drains(wanted - waiting)
        if waiting:
            transaction.on_commit(
                lambda: _queue_drains(wanted - _waiting_tasks(wanted)), using=Conf.ORM
            )


def _waiting_tasks(limit: int) -> int:
    """How many tasks no worker has taken yet, counting up to `limit`. Raw SQL: it runs on
    every publish, and through the ORM it costs five times the CPU."""
    connection = connections[Conf.ORM]
    table, key, lock = map(connection.ops.quote_name, (OrmQ._meta.db_table, "key", "lock"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE {key} = %s AND {lock} <= %s LIMIT %s",
            [_get_broker().list_key, timezone.now(), limit],
        )
        return len(cursor.fetchall())


def _queue_drains(count: int) -> None:
    for _ in range(count):
        queue_drain()


def queue_drain() -> None:
    async_task(SEND_TASK, broker=_get_broker())


def queue_resync(job_id: int) -> None:
    async_task("webhooks.tasks.run_resync", job_id, broker=_get_broker())


def queued_task_count() -> int:
    """Tasks in the queue that no worker has taken yet."""
    return _get_broker().queue_size()
