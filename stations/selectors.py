"""Reads the admin pages of station data need, each one query however long the logs grow."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    Avg,
    Count,
    FloatField,
    IntegerField,
    Model,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast

from stations.models import Stream, StreamCheck
from stations.models.records import StationRecord

__all__ = ["Reference", "live_references", "recent_checks", "streams_with_uptime"]


def _uptime_since(since: datetime) -> Subquery:
    """Share of the stream's checks since `since` that found it up (None: no check), as
    one correlated aggregate per row of the list."""
    return Subquery(
        StreamCheck.objects.filter(stream=OuterRef("pk"), checked_at__gte=since)
        .order_by()
        .values("stream")
        .annotate(up=Avg(Cast("is_up", IntegerField())))
        .values("up"),
        output_field=FloatField(),
    )


def streams_with_uptime(streams: QuerySet[Stream], *, now: datetime) -> QuerySet[Stream]:
    """`streams` with `uptime_24h_share` and `uptime_7d_share` (0..1, None: no check)."""
    return streams.annotate(
        uptime_24h_share=_uptime_since(now - timedelta(hours=24)),
        uptime_7d_share=_uptime_since(now - timedelta(days=7)),
    )


def recent_checks(stream: Stream, *, limit: int) -> QuerySet[StreamCheck]:
    return stream.checks.order_by("-checked_at")[:limit]


@dataclass(frozen=True)
class Reference:
    """`count` live records of `model` pointing at one of the records asked about
    (`Broadcast`s of a Program, `Item`s of a Campaign…), through `field`."""

    model: type[StationRecord]
    field: str
    count: int

    @property
    def label(self) -> str:
        meta = self.model._meta
        return f"{self.count} {meta.verbose_name if self.count == 1 else meta.verbose_name_plural}"


def live_references(records: list[StationRecord]) -> dict[int, list[Reference]]:
    """Per record (by pk), the live push-model records that still point at it, by foreign
    key or many-to-many: what a soft delete leaves pointing at a deleted record. One query
    per kind of link."""
    if not records:
        return {}
    model: type[Model] = type(records[0])
    pks = [record.pk for record in records]
    found: dict[int, list[Reference]] = {pk: [] for pk in pks}
    for relation in model._meta.related_objects:
        related = relation.related_model
        if not issubclass(related, StationRecord):
            continue
        field = relation.field.name
        rows = (
            related.objects.filter(**{f"{field}__in": pks})
            .order_by()
            .values(field)
            .annotate(n=Count("pk"))
        )
        for row in rows:
            found[row[field]].append(Reference(related, field, row["n"]))
    return found
