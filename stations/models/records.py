"""What the six push models share: their station, stamps, custom fields, soft delete and
change tracking.

Deletes are soft: push receivers fetch an object after its `delete` message, so the row
must stay. `objects` hides deleted rows; `all_objects` sees every row. Every create,
update (a save that changes a stored value), delete and recover is announced
(stations.changes) in the transaction of the change.
"""

import copy

from django.db import models, transaction
from django.utils import timezone

from stations.changes import announce_changes
from stations.choices import PushAction
from stations.models.station import Station

__all__ = ["StationRecord"]


class SoftDeleteQuerySet(models.QuerySet):
    """Bulk soft delete and recover: one UPDATE, and one push message per row changed."""

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
        return super().delete()


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
        self._stored = copy.deepcopy(
            {f.attname: getattr(self, f.attname) for f in self._meta.concrete_fields}
        )

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored = copy.deepcopy(dict(zip(field_names, values, strict=True)))
        return instance

    def _has_changes(self) -> bool:
        """Whether saving would change any stored value (a no-op save sends nothing)."""
        stored = getattr(self, "_stored", None)
        if stored is None:
            return True
        return any(
            getattr(self, name) != value
            for name, value in stored.items()
            if name not in self.IGNORED_FOR_CHANGES
        )

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
        return super().delete()
