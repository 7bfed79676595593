"""Reads the admin pages of station data need, each one query however long the logs grow."""

from datetime import datetime, timedelta

from django.db.models import Avg, FloatField, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast

from stations.models import Stream, StreamCheck

__all__ = ["recent_checks", "streams_with_uptime"]


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
