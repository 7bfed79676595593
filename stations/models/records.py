"""What the six push models share: their station, stamps, custom fields, soft delete and
change tracking.

Deletes are soft: push receivers fetch an object after its `delete` message, so the row
must stay. `objects` hides deleted rows; `all_objects` sees every row. Every create,
update (a save that changes a stored value), delete and recover is announced
(stations.changes) in the transaction of the change.

Telling an update from a no-op save needs the values as stored. An object loaded on its
own (`get()`, as the admin's change page and `refresh_from_db` load it) or just saved
keeps a snapshot of them; rows loaded by the page (lists, iteration) do not, and saving
one compares with its row in the database instead (one SELECT), so a no-op save still
sends nothing.
"""

import copy

from django.db import models, transaction
from django.utils import timezone

from stations.changes import announce_changes
from stations.choices import PushAction
from stations.models.station import Station
from stations.signals import records_purging

__all__ = ["StationRecord"]


class SoftDeleteQuerySet(models.QuerySet):
    """Bulk soft delete and recover: one UPDATE, and one push message per row changed.
    An object loaded alone (`get()`) keeps a snapshot for change detection."""

    def get(self, *args, **kwargs):
        instance = super().get(*args, **kwargs)
        if isinstance(instance, self.model):  # not a row of values()
            instance.snapshot()
        return instance

    def _mark(self, *, deleted: bool, action: PushAction) -> int:
        with transaction.atomic(using=self.db, savepoint=False):
            rows = list(self.filter(deleted_at__isnull=deleted).values_list("pk", "station_id"))
            now = timezone.now()
            count = self.model.all_objects.filter(pk__in=[pk for pk, _ in rows]).update(
                deleted_at=now if deleted else None, updated_at=now
            )
            announce_changes(self.model, rows, action)
        return count

    def delete(self):
        """Soft-delete every live row; returns the number of rows marked."""
        return self._mark(deleted=True, action=PushAction.DELETE)

    def recover(self) -> int:
        return self._mark(deleted=False, action=PushAction.RECOVER)

    def hard_delete(self):
        """Remove the rows for real, or none of them (PurgeRefused): see _purge."""
        with transaction.atomic(using=self.db):  # a refusal leaves the caller's intact
            _purge(self.model, list(self.select_for_update().values_list("pk", "station_id")))
            return super().delete()


def _purge(model, rows: list[tuple[int, int]]) -> None:
    """Refuse to remove rows a push webhook was told about (records_purging's receivers
    raise PurgeRefused): its receiver may fetch the object after any message, `delete`
    included, and would get a 404 for an object it was never told is gone. A `delete`
    sent now would not help: the row must stay for that fetch. So such records are
    soft-deleted and stay; rows nobody was told about are removed.

    The caller has locked `rows`, so a change of one still being committed is waited for,
    and a later one waits for the purge (and then finds no row to change); the receivers
    then hold the stations' push counters, so a message being published about them
    (a resync's) is seen before the check."""
    if rows:
        records_purging.send(sender=model, model=model._meta.model_name, rows=rows)


class ActiveManager(models.Manager.from_queryset(SoftDeleteQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


AllObjectsManager = models.Manager.from_queryset(SoftDeleteQuerySet)


class StationRecord(models.Model):
    """Fields every push model shares: its station, stamps, soft delete, custom fields."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="%(class)ss")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True, editable=False)
    field_values = models.JSONField(default=dict, blank=True)

    objects = ActiveManager()
    all_objects = AllObjectsManager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    IGNORED_FOR_CHANGES = frozenset({"created_at", "updated_at"})

    def save(self, *args, push_action: PushAction | None = None, **kwargs):
        """Save and announce the change (create, or update if any value changed) in the
        same transaction, so the push message exists exactly when the change does. No
        savepoint (two round trips per save): like Django's own save, a failure here spoils
        the caller's transaction."""
        action = push_action or (
            PushAction.CREATE
            if self._state.adding
            else PushAction.UPDATE
            if self._has_changes()
            else None
        )
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            super().save(*args, **kwargs)
            if action:
                announce_changes(type(self), [(self.pk, self.station_id)], action)
        self.snapshot()

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        """Reloaded values are stored values: the snapshot takes them (only them, when
        `fields` loads a deferred field, so changes made meanwhile still count)."""
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        stored = getattr(self, "_stored", None)
        if fields is None:
            self.snapshot()
        elif stored is not None:
            names = {getattr(self._meta.get_field(name), "attname", None) for name in fields}
            reloaded = {k: v for k, v in self._loaded_values().items() if k in names}
            stored.update(copy.deepcopy(reloaded))

    def _loaded_values(self) -> dict:
        """The values of the fields loaded into this object (deferred ones are not)."""
        return {
            f.attname: self.__dict__[f.attname]
            for f in self._meta.concrete_fields
            if f.attname in self.__dict__ and f.attname not in self.IGNORED_FOR_CHANGES
        }

    def snapshot(self) -> None:
        """Remember the values as stored now, to tell a change from a no-op save later.
        Taken where a change can follow: on a lone load (`get()`), after a save."""
        self._stored = copy.deepcopy(self._loaded_values())

    def _has_changes(self) -> bool:
        """Whether saving would change any stored value (a no-op save sends nothing):
        against the snapshot, or, without one, against the row in the database."""
        current = self._loaded_values()
        stored = getattr(self, "_stored", None)
        if stored is None:
            stored = (
                type(self)
                .all_objects.using(self._state.db)
                .filter(pk=self.pk)
                .values(*current)
                .first()
            )
            if stored is None:
                return True
        return any(current[name] != stored.get(name) for name in current)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def delete(self, using=None, keep_parents=False):
        """Soft delete: the row stays so receivers can still fetch it after `delete`."""
        if self.deleted_at is None:
            self.deleted_at = timezone.now()
            self.save(update_fields=["deleted_at", "updated_at"], push_action=PushAction.DELETE)
        return 1, {self._meta.label: 1}

    def recover(self) -> None:
        if self.deleted_at is not None:
            self.deleted_at = None
            self.save(update_fields=["deleted_at", "updated_at"], push_action=PushAction.RECOVER)

    def hard_delete(self):
        """Remove the row for real, unless a push webhook was told about it (see _purge)."""
        with transaction.atomic(using=self._state.db):
            rows = type(self).all_objects.select_for_update().filter(pk=self.pk)
            _purge(type(self), list(rows.values_list("pk", "station_id")))
            return super().delete()
