"""Changes of the six push models, announced as `records_changed` (stations.signals).

The models announce every create, update, delete and recover (stations.models.records);
a changed link (program or broadcast presenters, item contacts) is an update of the object
on each side of it. Each change carries who made it (stations.actors).

- Outside a `change_batch()` a change is announced at once.
- Inside one (the admin and the REST API wrap each request in it) changes are collected,
  merged per object — updates following a create or an update of the same object add
  nothing, since a receiver fetches the object's latest state anyway; creates, deletes and
  recovers are never dropped — and announced when the block ends, still inside the
  transaction of the changes.

Not announced: `QuerySet.update()`, `bulk_create()`, `bulk_update()` and raw SQL bypass the
models' methods.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db.models.signals import m2m_changed

from stations.actors import Actor, current_actor
from stations.choices import PushAction, PushModel
from stations.signals import records_changed

__all__ = ["Change", "announce_changes", "change_batch", "connect_link_changes", "merge_changes"]


@dataclass(frozen=True)
class Change:
    """One object of a push model created, updated, deleted or recovered, by `actor`."""

    model: str
    model_id: int
    station_id: int
    action: PushAction
    actor: Actor


_batch: ContextVar[list[Change] | None] = ContextVar("change_batch", default=None)


@contextmanager
def change_batch() -> Iterator[None]:
    """Collect the changes made inside the block and announce them, merged, at its end.
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
    _send(merge_changes(changes))


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


def _send(changes: list[Change]) -> None:
    if changes:
        records_changed.send(sender=Change, changes=changes)


def announce_changes(model, rows: list[tuple[int, int]], action: str) -> None:
    """`rows` (pk, station_id) of `model` were changed by `action`, by the current actor."""
    actor = current_actor()
    changes = [
        Change(model._meta.model_name, pk, station_id, PushAction(action), actor)
        for pk, station_id in rows
    ]
    batch = _batch.get()
    if batch is None:
        _send(changes)
    else:
        batch.extend(changes)


def _on_link_changed(sender, instance, action, reverse, model, pk_set, **_kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    announce_changes(type(instance), [(instance.pk, instance.station_id)], PushAction.UPDATE)
    if pk_set and model._meta.model_name in PushModel.values:
        rows = [(pk, instance.station_id) for pk in sorted(pk_set)]
        announce_changes(model, rows, PushAction.UPDATE)


def connect_link_changes() -> None:
    """Called from StationsConfig.ready(): link changes are changes too."""
    from stations.models import Broadcast, Item, Program

    for through in (
        Program.presenters.through,
        Broadcast.presenters.through,
        Item.contacts.through,
    ):
        m2m_changed.connect(_on_link_changed, sender=through, dispatch_uid=f"links-{through}")
