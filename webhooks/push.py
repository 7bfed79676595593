"""Push messages (RadioManager Push API) for changes of the six station models.

Station data announces its changes (stations.changes); this module turns them into
`{"action", "model", "model_id", "job_id", "resync", "station_id", "user_id", "api_id"}`
messages, in the transaction of the change:

- outside a `change_batch()` every announced change is published at once;
- inside one (the admin wraps its views in it) changes are collected, merged per object
  — updates following a create or an update of the same object add nothing, since the
  receiver fetches the object's latest state anyway; creates, deletes and recovers are
  never dropped — and published when the block ends, still inside the transaction.

`job_id` comes from a per-station counter whose row stays locked until commit, so
job_ids are unique and increase in commit order.

Not announced (documented in the README): `QuerySet.update()`, `bulk_create()`,
`bulk_update()` and raw SQL bypass the models' methods and send no message.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models.signals import m2m_changed

from stations.actors import Actor, current_actor
from stations.changes import push_records_changed
from stations.choices import PushAction, PushModel
from stations.models import Broadcast, Item, Program
from webhooks.choices import Trigger
from webhooks.models import JobCounter, Webhook
from webhooks.payloads import push_message
from webhooks.publish import Draft, publish_batch, webhooks_for

__all__ = [
    "Change",
    "change_batch",
    "connect_receivers",
    "merge_changes",
    "next_job_ids",
    "publish_push_changes",
]


@dataclass(frozen=True)
class Change:
    model: str
    model_id: int
    station_id: int
    action: PushAction
    actor: Actor


_batch: ContextVar[list[Change] | None] = ContextVar("push_change_batch", default=None)


@contextmanager
def change_batch() -> Iterator[None]:
    """Collect the changes made inside the block and publish them, merged, at its end.
    Use it inside the transaction of the changes; nested blocks join the outer one."""
    if _batch.get() is not None:
        yield
        return
    token = _batch.set([])
    try:
        yield
        changes = _batch.get()
    finally:
        _batch.reset(token)
    publish_push_changes(merge_changes(changes))


def merge_changes(changes: Iterable[Change]) -> list[Change]:
    """Drop updates that follow a create or update of the same object (pure)."""
    last_action: dict[tuple[str, int], PushAction] = {}
    merged = []
    for change in changes:
        key = (change.model, change.model_id)
        if change.action == PushAction.UPDATE and last_action.get(key) in (
            PushAction.CREATE,
            PushAction.UPDATE,
        ):
            continue
        last_action[key] = change.action
        merged.append(change)
    return merged


def next_job_ids(station_id: int, count: int) -> range:
    """Reserve `count` consecutive job_ids for a station; the counter row stays locked
    until the caller's transaction ends."""
    table = connection.ops.quote_name(JobCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (station_id, last_job_id) VALUES (%s, %s) "
            f"ON CONFLICT (station_id) DO UPDATE "
            f"SET last_job_id = {table}.last_job_id + EXCLUDED.last_job_id "
            f"RETURNING last_job_id",
            [station_id, count],
        )
        last = cursor.fetchone()[0]
    return range(last - count + 1, last + 1)


def publish_push_changes(
    changes: list[Change],
    *,
    resync: bool = False,
    only_webhooks: list[Webhook] | None = None,
    queue_work: bool = True,
) -> int:
    """Publish one message per change to every enabled push webhook of its station that
    watches its model (or to `only_webhooks`, for a resync). Returns messages written."""
    if not changes:
        return 0
    written = 0
    with transaction.atomic(savepoint=False):
        for station_id in dict.fromkeys(c.station_id for c in changes):
            hooks = only_webhooks
            if hooks is None:
                hooks = list(webhooks_for(station_id, Trigger.PUSH))
            routed = [
                (change, [w for w in hooks if w.watches(change.model)])
                for change in changes
                if change.station_id == station_id
            ]
            routed = [(change, targets) for change, targets in routed if targets]
            if not routed:
                continue
            job_ids = next_job_ids(station_id, len(routed))
            publish_batch(
                (
                    Draft(
                        station_id=station_id,
                        event_type=Trigger.PUSH,
                        payload=push_message(
                            action=change.action,
                            model=change.model,
                            model_id=change.model_id,
                            job_id=job_id,
                            resync=resync,
                            station_id=station_id,
                            user_id=change.actor.user_id,
                            api_id=change.actor.api_key_id,
                        ),
                        webhooks=targets,
                        actor=change.actor,
                        job_id=job_id,
                        model_id=change.model_id,
                        coalesce_key=f"{change.model}:{change.model_id}"
                        if change.action == PushAction.UPDATE
                        else "",
                    )
                    for (change, targets), job_id in zip(routed, job_ids, strict=True)
                ),
                queue_work=queue_work,
            )
            written += len(routed)
    return written


def _record(model, changes: list[tuple[int, int]], action: PushAction) -> None:
    actor = current_actor()
    batch = _batch.get()
    recorded = [
        Change(model._meta.model_name, pk, station_id, PushAction(action), actor)
        for pk, station_id in changes
    ]
    if batch is None:
        publish_push_changes(recorded)
    else:
        batch.extend(recorded)


def _on_records_changed(sender, changes, action, **_kwargs) -> None:
    _record(sender, changes, action)


def _on_m2m_changed(sender, instance, action, reverse, model, pk_set, **_kwargs) -> None:
    """A changed link (program presenters, broadcast presenters, item contacts) is an
    update of the object on each side of it."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    _record(type(instance), [(instance.pk, instance.station_id)], PushAction.UPDATE)
    if pk_set and model._meta.model_name in PushModel.values:
        _record(model, [(pk, instance.station_id) for pk in sorted(pk_set)], PushAction.UPDATE)


def connect_receivers() -> None:
    """Called from WebhooksConfig.ready()."""
    push_records_changed.connect(_on_records_changed, dispatch_uid="push-records-changed")
    for through in (
        Program.presenters.through,
        Broadcast.presenters.through,
        Item.contacts.through,
    ):
        m2m_changed.connect(_on_m2m_changed, sender=through, dispatch_uid=f"push-{through}")
