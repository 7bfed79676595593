"""Reads of the inbound gateway: the source of a token (the ingest endpoint's one look-up),
the dashboard's counts, and a request's events (the admin's pages)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from webhooks.choices import InboundOutcome
from webhooks.gateway.tokens import hash_token
from webhooks.models import Event, InboundRequest, InboundSource

__all__ = [
    "SourceCounts",
    "dashboard_counts",
    "events_of_request",
    "requests_matching",
    "source_counts",
    "source_for_token",
]

DASHBOARD_WINDOW = timedelta(hours=24)
_TOKEN_LOOKUP_FIELDS = ("enabled", "token_hash", "previous_token_hash", "previous_token_expires_at")


def source_for_token(token: str, *, now: datetime) -> InboundSource | None:
    """The enabled source whose URL token is `token`, or whose previous token it is while
    the rotation's overlap lasts; None otherwise.

    Raw SQL, because every request to the ingest endpoint starts here, and the ORM
    compiling the same query each time took about half of the endpoint's CPU."""
    hashed = hash_token(token)
    opts, quote = InboundSource._meta, connection.ops.quote_name
    column = {name: quote(opts.get_field(name).column) for name in _TOKEN_LOOKUP_FIELDS}
    sql = (
        f"SELECT * FROM {quote(opts.db_table)} WHERE {column['enabled']} AND "
        f"({column['token_hash']} = %s OR ({column['previous_token_hash']} = %s "
        f"AND {column['previous_token_expires_at']} > %s)) "
        f"ORDER BY {quote(opts.pk.column)} LIMIT 1"
    )
    params = [hashed, hashed, connection.ops.adapt_datetimefield_value(now)]
    return next(iter(InboundSource.objects.raw(sql, params)), None)


@dataclass(frozen=True)
class SourceCounts:
    """One source's requests since a moment, by what they were answered."""

    source: InboundSource
    accepted: int
    rejected: int
    duplicate: int


def source_counts(*, station_ids: Iterable[int], since: datetime) -> dict[int, list[SourceCounts]]:
    """Per station: each of its sources with its requests received since `since`, by
    outcome (one query; the sources ordered by name)."""
    received = Q(requests__received_at__gte=since)
    sources = (
        InboundSource.objects.filter(station_id__in=list(station_ids))
        .annotate(
            **{
                outcome: Count("requests", filter=received & Q(requests__outcome=outcome))
                for outcome in InboundOutcome.values
            }
        )
        .order_by("name", "pk")
    )
    by_station: dict[int, list[SourceCounts]] = {}
    for source in sources:
        by_station.setdefault(source.station_id, []).append(
            SourceCounts(
                source=source,
                accepted=getattr(source, InboundOutcome.ACCEPTED),
                rejected=getattr(source, InboundOutcome.REJECTED),
                duplicate=getattr(source, InboundOutcome.DUPLICATE),
            )
        )
    return by_station


def dashboard_counts(user, station_ids: Iterable[int]) -> dict[int, list[SourceCounts]]:
    """The dashboard's inbound card: `source_counts` of the last 24 hours, for a user who
    may see the inbound log (nothing for the others)."""
    if not user.has_perm("webhooks.view_inboundrequest"):
        return {}
    return source_counts(station_ids=station_ids, since=timezone.now() - DASHBOARD_WINDOW)


def events_of_request(request: InboundRequest) -> QuerySet[Event]:
    """The hub's events `request` caused, oldest first."""
    return Event.objects.filter(inbound_request=request).order_by("pk")


def requests_matching(queryset: QuerySet[InboundRequest], term: str) -> QuerySet[InboundRequest]:
    """The inbound log's search: a request id (`123` or `#123`), or the id the sender gave
    it (a Standard Webhooks `webhook-id`, or RadioManager's `job_id`)."""
    term = term.strip().lstrip("#")
    if term.isdigit():
        return queryset.filter(
            Q(pk=int(term)) | Q(sequence=int(term)) | Q(dedup_key=f"webhook-id:{term}")
        )
    return queryset.filter(dedup_key=f"webhook-id:{term}")
