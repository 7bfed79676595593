"""Station data, faithful to RadioManager's public API (v2 SDK field names).

The six push models (Program, Broadcast, Item, Presenter, Contact, Campaign) are deleted
softly: push receivers fetch an object after its `delete` message, so the row must stay.
`objects` hides deleted rows; `all_objects` sees every row.
"""

import copy
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from stations.changes import announce_changes
from stations.choices import CheckSource, EncoderStatus, ItemStatus, PushAction, TrackSource

__all__ = [
    "ApiKey",
    "Broadcast",
    "Campaign",
    "Contact",
    "Encoder",
    "Item",
    "Presenter",
    "Program",
    "Station",
    "Stream",
    "StreamCheck",
    "TrackPlay",
]


def _public_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


def new_station_public_id() -> str:
    return _public_id("sta")


def new_track_play_public_id() -> str:
    """64 random bits: plays pile up by the million, unlike stations and encoders."""
    return f"med_{secrets.token_hex(8)}"


def new_encoder_public_id() -> str:
    return _public_id("enc")


class Station(models.Model):
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=50, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    public_id = models.CharField(
        max_length=32, unique=True, default=new_station_public_id, editable=False
    )
    operators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="stations",
        help_text="Staff users (not superusers) who see and manage this station's data, "
        "webhooks and deliveries in the admin. Superusers see every station.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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


def _check_stop_after_start(instance) -> None:
    if instance.start and instance.stop and instance.stop <= instance.start:
        raise ValidationError({"stop": "Stop must be after start."})


class Presenter(StationRecord):
    firstname = models.CharField(max_length=100, blank=True)
    lastname = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=200, blank=True, help_text="Name on air.")
    active = models.BooleanField(default=True)

    class Meta(StationRecord.Meta):
        ordering = ["lastname", "firstname"]

    def __str__(self) -> str:
        return self.name or f"{self.firstname} {self.lastname}".strip() or f"Presenter {self.pk}"


class Program(StationRecord):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    short_name = models.CharField(max_length=50, blank=True)
    medium_name = models.CharField(max_length=100, blank=True)
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    language = models.CharField(max_length=16, blank=True)
    disabled = models.BooleanField(default=False)
    recommended = models.BooleanField(default=False)
    genre = models.CharField(max_length=100, blank=True)
    presenters = models.ManyToManyField(Presenter, blank=True, related_name="programs")

    class Meta(StationRecord.Meta):
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Broadcast(StationRecord):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="broadcasts")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    short_name = models.CharField(max_length=50, blank=True)
    medium_name = models.CharField(max_length=100, blank=True)
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    language = models.CharField(max_length=16, blank=True)
    published = models.BooleanField(default=True)
    recommended = models.BooleanField(default=False)
    start = models.DateTimeField()
    stop = models.DateTimeField()
    presenters = models.ManyToManyField(Presenter, blank=True, related_name="broadcasts")

    class Meta(StationRecord.Meta):
        ordering = ["start"]
        indexes = [models.Index(fields=["station", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(stop__gt=F("start")), name="broadcast_stop_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.start:%Y-%m-%d %H:%M})"

    def clean(self):
        _check_stop_after_start(self)


class Campaign(StationRecord):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    recommended = models.BooleanField(default=False)
    start = models.DateTimeField()
    stop = models.DateTimeField()

    class Meta(StationRecord.Meta):
        ordering = ["start"]
        indexes = [models.Index(fields=["station", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(stop__gt=F("start")), name="campaign_stop_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        _check_stop_after_start(self)


class Contact(StationRecord):
    firstname = models.CharField(max_length=100)
    lastname = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)

    class Meta(StationRecord.Meta):
        ordering = ["lastname", "firstname"]

    def __str__(self) -> str:
        return f"{self.firstname} {self.lastname}"


class Item(StationRecord):
    broadcast = models.ForeignKey(Broadcast, on_delete=models.PROTECT, related_name="items")
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    title = models.CharField(max_length=200)
    external_id = models.CharField(max_length=100, blank=True)
    duration = models.IntegerField(default=0, help_text="Seconds.")
    status = models.CharField(
        max_length=16, choices=ItemStatus.choices, default=ItemStatus.SCHEDULED
    )
    details = models.TextField(blank=True)
    recommended = models.BooleanField(default=False)
    static_start = models.BooleanField(default=False)
    start = models.DateTimeField()
    contacts = models.ManyToManyField(Contact, blank=True, related_name="items")

    class Meta(StationRecord.Meta):
        ordering = ["start"]
        indexes = [models.Index(fields=["station", "start"])]
        constraints = [
            models.CheckConstraint(condition=Q(duration__gte=0), name="item_duration_not_negative")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def stop(self):
        return self.start + timedelta(seconds=self.duration)


class Encoder(models.Model):
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="encoders")
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=EncoderStatus.choices, default=EncoderStatus.DISCONNECTED
    )
    public_id = models.CharField(
        max_length=32, unique=True, default=new_encoder_public_id, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Stream(models.Model):
    """A listening URL the hub watches like a listener would (stations.monitor).

    The state fields (`is_up` ... `checking_until`) are written only by
    `stations.monitor.record_check`: `is_up` is the verdict of the latest check (None
    until the first one; silence counts as down when silence detection is on) and
    `state_changed_at` when it last flipped, which is when an outage began for the alert
    policies. `checking_until` is the lease of a check in progress, so check runs never
    overlap on one stream."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="streams")
    name = models.CharField(max_length=200)
    listening_url = models.URLField(max_length=500)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    monitored = models.BooleanField(
        default=True,
        help_text="Checked by the stream monitor every STREAM_MONITOR_INTERVAL_S. "
        "Status reports from the inbound hook count either way.",
    )
    silence_detection = models.BooleanField(
        default=False,
        help_text="Decode a short sample on every check; a long enough quiet stretch "
        "counts as down and alerts say `silence: true`.",
    )
    silence_threshold_dbfs = models.FloatField(
        "silence threshold (dBFS)",
        default=-50.0,
        validators=[MinValueValidator(-120.0), MaxValueValidator(0.0)],
        help_text="Audio quieter than this (RMS per 100 ms) is silence.",
    )
    silence_min_duration_s = models.PositiveIntegerField(
        "minimum silence (s)",
        default=10,
        validators=[MinValueValidator(1)],
        help_text="How long a continuous quiet stretch must last to count as silence; "
        "at most the sample length (STREAM_MONITOR_SILENCE_SAMPLE_S).",
    )
    is_up = models.BooleanField("up", null=True, editable=False)
    is_silent = models.BooleanField("silent", null=True, editable=False)
    state_changed_at = models.DateTimeField("state since", null=True, editable=False)
    last_checked_at = models.DateTimeField(null=True, editable=False)
    last_check_reason = models.CharField(max_length=500, blank=True, editable=False)
    last_monitored_at = models.DateTimeField(
        null=True, editable=False, help_text="The monitor's own last check (its schedule)."
    )
    checking_until = models.DateTimeField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        sample_s = settings.STREAM_MONITOR_SILENCE_SAMPLE_S
        if self.silence_detection and (self.silence_min_duration_s or 0) > sample_s:
            raise ValidationError(
                {
                    "silence_min_duration_s": f"At most {sample_s:g} s: the monitor decodes "
                    f"a {sample_s:g} s sample (STREAM_MONITOR_SILENCE_SAMPLE_S)."
                }
            )


class StreamCheck(models.Model):
    """One observation of a stream: a monitor check or an inbound status report.

    `is_up` is the verdict the alert policies act on (silence detected with silence
    detection on is down); `silence` is None when the check did not look for it."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField()
    is_up = models.BooleanField("up")
    silence = models.BooleanField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    latency_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="Time until the response headers arrived."
    )
    source = models.CharField(
        max_length=16, choices=CheckSource.choices, default=CheckSource.MONITOR
    )

    class Meta:
        ordering = ["-checked_at"]
        indexes = [
            models.Index(fields=["stream", "checked_at"], name="streamcheck_stream_time_idx"),
            models.Index(fields=["checked_at"], name="streamcheck_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.stream_id} {'up' if self.is_up else 'down'} at {self.checked_at}"


class TrackPlay(models.Model):
    """A track that started playing at the station, as a playout system reported it.

    `public_id` is the `track.id` (`med_...`) of the `station.studio.newtrack` event."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="track_plays")
    public_id = models.CharField(
        max_length=32, unique=True, default=new_track_play_public_id, editable=False
    )
    title = models.CharField(max_length=300)
    artist = models.CharField(max_length=300, blank=True)
    album = models.CharField(max_length=300, blank=True)
    duration = models.PositiveIntegerField(default=0, help_text="Seconds; 0 when unknown.")
    external_id = models.CharField(
        max_length=100, blank=True, help_text="The playout system's own id for the track."
    )
    source = models.CharField(max_length=16, choices=TrackSource.choices)
    played_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-played_at"]
        indexes = [models.Index(fields=["station", "-played_at"])]

    def __str__(self) -> str:
        return f"{self.artist} - {self.title}" if self.artist else self.title


class ApiKey(models.Model):
    """A station's key to the REST API and inbound hooks.

    Only a SHA-256 hash of the key is stored (stations/api_keys.py makes and checks keys);
    `prefix`, the key's first characters, finds the row and tells keys apart on screen.
    A revoked key stays, so events it caused keep pointing at it."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, help_text='Who uses it, e.g. "Playout studio 1".')
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["station", "name"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
