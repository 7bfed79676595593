"""List filters, named as a schedule client asks: `?program=3&start_min=...&start_max=...`.

Every list hides soft-deleted rows unless `deleted=true` (only deleted) or `deleted=all`.
Ids and dates are range-checked here, so a wild value is a 400 and never reaches the
database: SQLite overflows on integers past 64 bits, and PostgreSQL refuses UTC offsets
past 16 hours, which ISO 8601 allows (dates are converted to UTC first).
"""

from datetime import UTC

import django_filters as df
from django import forms
from django_filters.fields import IsoDateTimeField

from stations.api import MAX_ID
from stations.choices import ItemStatus
from stations.models import Broadcast, Campaign, Contact, Item, Presenter, Program

__all__ = [
    "BroadcastFilter",
    "CampaignFilter",
    "ContactFilter",
    "ItemFilter",
    "PresenterFilter",
    "ProgramFilter",
]


class IdFilter(df.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class UtcIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("Date out of range.", code="invalid") from None


class DateTimeFilter(df.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class StationRecordFilter(df.FilterSet):
    deleted = df.ChoiceFilter(
        choices=[("false", "live only"), ("true", "deleted only"), ("all", "live and deleted")],
        method="filter_deleted",
        label="Soft-deleted objects: `false` (default) hides them, `true` lists only "
        "them, `all` lists both.",
    )
    updated_min = DateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label="Changed at or after (ISO 8601)."
    )

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("deleted"):
            queryset = queryset.filter(deleted_at__isnull=True)
        return super().filter_queryset(queryset)

    def filter_deleted(self, queryset, name, value):
        if value == "true":
            return queryset.filter(deleted_at__isnull=False)
        if value == "false":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


class ScheduledFilter(StationRecordFilter):
    start_min = DateTimeFilter(
        field_name="start", lookup_expr="gte", label="Starts at or after (ISO 8601)."
    )
    start_max = DateTimeFilter(
        field_name="start", lookup_expr="lte", label="Starts at or before (ISO 8601)."
    )


class ProgramFilter(StationRecordFilter):
    presenter = IdFilter(field_name="presenters", label="Presented by this presenter id.")

    class Meta:
        model = Program
        fields = ["genre", "disabled", "recommended"]


class BroadcastFilter(ScheduledFilter):
    program = IdFilter(field_name="program", label="Of this program id.")
    presenter = IdFilter(field_name="presenters", label="Presented by this presenter id.")

    class Meta:
        model = Broadcast
        fields = ["published", "recommended"]


class ItemFilter(ScheduledFilter):
    broadcast = IdFilter(field_name="broadcast", label="In this broadcast id.")
    program = IdFilter(field_name="broadcast__program", label="In a broadcast of this program.")
    campaign = IdFilter(field_name="campaign", label="Of this campaign id.")
    contact = IdFilter(field_name="contacts", label="Linked to this contact id.")
    status = df.ChoiceFilter(choices=ItemStatus.choices)

    class Meta:
        model = Item
        fields = ["external_id", "recommended"]


class PresenterFilter(StationRecordFilter):
    program = IdFilter(field_name="programs", label="Presents this program id.")
    broadcast = IdFilter(field_name="broadcasts", label="Presents this broadcast id.")

    class Meta:
        model = Presenter
        fields = ["active"]


class ContactFilter(StationRecordFilter):
    item = IdFilter(field_name="items", label="Linked to this item id.")

    class Meta:
        model = Contact
        fields = ["email"]


class CampaignFilter(ScheduledFilter):
    item = IdFilter(field_name="items", label="Has this item id.")

    class Meta:
        model = Campaign
        fields = ["recommended"]
