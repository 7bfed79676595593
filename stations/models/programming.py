"""The six push models (RadioManager's v2 field names): programs and their broadcasts,
the items that play in them, presenters, contacts and campaigns."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from stations.choices import ItemStatus
from stations.models.records import StationRecord

__all__ = ["Broadcast", "Campaign", "Contact", "Item", "Presenter", "Program"]


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
