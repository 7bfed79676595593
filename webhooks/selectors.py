"""Reads the admin pages and the dashboard need, each a handful of indexed queries however
large the delivery log grows: outcome counts come from the hourly DeliveryStat rollup,
never from the log itself."""

import json
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum

from stations.models import Station, Stream
from webhooks.breaker import describe
from webhooks.choices import DeliveryStatus
from webhooks.event_types import STREAM_ALERT
from webhooks.latency import LATENCY_COLUMNS, latency_percentile_s
from webhooks.models import (
    ACTIVE_RESYNC_STATUSES,
    Delivery,
    DeliveryStat,
    Event,
    ResyncJob,
    Webhook,
)
from webhooks.stats import OUTCOMES

__all__ = [
    "HOURS_SHOWN",
    "PUBLISHING_FIELDS",
    "deliveries_matching",
    "hourly_outcomes",
    "outcome_totals",
    "recent_deliveries",
    "resync_in_progress",
    "resyncs_of",
    "station_overviews",
    "webhook_activity",
    "webhooks_for",
    "webhooks_with_health",
]

HOURS_SHOWN = 24
RECENT_ALERTS_SHOWN = 10
WEBHOOKS_SHOWN = 10
SUMMED = {name: Sum(name) for name in (*OUTCOMES, *LATENCY_COLUMNS)}
# What publishing reads of a webhook: its routing and its pacing options.
PUBLISHING_FIELDS = ("event_type", "models", "delay_s", "throttle_s", "debounce_s")


def webhooks_for(station: Station | int, event_type: str) -> QuerySet[Webhook]:
    """The station's enabled webhooks of `event_type`, in id order (the default order by
    station name costs a join), with only PUBLISHING_FIELDS loaded (publishing never
    signs, so never decrypts a secret either)."""
    return (
        Webhook.objects.filter(station=station, event_type=event_type, enabled=True)
        .order_by("pk")
        .only(*PUBLISHING_FIELDS)
    )


def _since(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS_SHOWN - 1)


def _outcomes_and_latency(sums: dict) -> dict[str, Any]:
    """Outcome counts (0 for none) and delivery latency percentiles (None when nothing
    was delivered) of summed hourly stats, as webhooks.latency reads them."""
    histogram = [sums.get(name) or 0 for name in LATENCY_COLUMNS]
    return {
        **{outcome: sums.get(outcome) or 0 for outcome in OUTCOMES},
        "latency_p50_s": latency_percentile_s(histogram, 50),
        "latency_p95_s": latency_percentile_s(histogram, 95),
    }


def hourly_outcomes(*, now: datetime, **filters) -> list[dict]:
    """The last HOURS_SHOWN hours, oldest first, each `{hour, delivered, failed, retried,
    latency_p50_s, latency_p95_s}` (zeros and None where nothing happened), summed over
    the stats matching `filters`."""
    since = _since(now)
    sums = {
        row["hour"]: row
        for row in DeliveryStat.objects.filter(hour__gte=since, **filters)
        .values("hour")
        .annotate(**SUMMED)
    }
    hours = [since + timedelta(hours=n) for n in range(HOURS_SHOWN)]
    return [{**_outcomes_and_latency(sums.get(hour, {})), "hour": hour} for hour in hours]


def outcome_totals(*, now: datetime, **filters) -> dict[str, Any]:
    """The last HOURS_SHOWN hours' outcomes and latency percentiles, in all."""
    return _outcomes_and_latency(
        DeliveryStat.objects.filter(hour__gte=_since(now), **filters).aggregate(**SUMMED)
    )


def _stat_since(outcome: str, since: datetime) -> Subquery:
    """Sum of one outcome over the webhook's hourly stats since `since`."""
    return Subquery(
        DeliveryStat.objects.filter(webhook=OuterRef("pk"), hour__gte=since)
        .order_by()
        .values("webhook")
        .annotate(n=Sum(outcome))
        .values("n"),
        output_field=IntegerField(),
    )


def webhooks_with_health(webhooks: QuerySet[Webhook], *, now: datetime) -> QuerySet[Webhook]:
    """`webhooks` with `last_delivery_status` and the last 24 hours' `delivered_24h` and
    `failed_24h` (None when there were none)."""
    day_ago = now - timedelta(hours=24)
    return webhooks.annotate(
        last_delivery_status=Subquery(
            Delivery.objects.filter(webhook=OuterRef("pk"))
            .order_by("-created_at")
            .values("status")[:1]
        ),
        delivered_24h=_stat_since("delivered", day_ago),
        failed_24h=_stat_since("failed", day_ago),
    )


def recent_deliveries(webhook: Webhook, *, limit: int) -> QuerySet[Delivery]:
    return webhook.deliveries.order_by("-created_at")[:limit]


def deliveries_matching(deliveries: QuerySet[Delivery], term: str) -> QuerySet[Delivery]:
    """Exact, indexed lookups only: a number is a job_id, model_id or delivery id,
    anything else a webhook-id.

    A number's three lookups are a UNION of three indexed queries: as one OR across the
    delivery and event tables, PostgreSQL can use no index and joins the whole log."""
    if not term.isdigit():
        return deliveries.filter(event__message_id=term)
    number = int(term)
    ids = Delivery.objects.filter(event__job_id=number).values("pk")
    ids = ids.union(
        Delivery.objects.filter(event__model_id=number).values("pk"),
        Delivery.objects.filter(pk=number).values("pk"),
        all=True,
    )
    return deliveries.filter(pk__in=ids)


def webhook_activity(
    *, now: datetime, stations: QuerySet[Station] | None = None
) -> dict[int, list[dict[str, Any]]]:
    """Per station id: its enabled webhooks with the last HOURS_SHOWN hours' outcomes,
    `hourly` (as hourly_outcomes gives them) and `totals`, busiest first, at most
    WEBHOOKS_SHOWN each. Two queries, from the hourly stats."""
    since = _since(now)
    webhooks = Webhook.objects.filter(enabled=True).only("name", "station_id", "event_type")
    stats = DeliveryStat.objects.filter(hour__gte=since)
    if stations is not None:
        webhooks, stats = webhooks.filter(station__in=stations), stats.filter(station__in=stations)
    per_hour: dict[int, dict[datetime, dict]] = defaultdict(dict)
    for row in stats.values("webhook_id", "hour", "delivered", "failed", "retried"):
        per_hour[row["webhook_id"]][row["hour"]] = row
    hours = [since + timedelta(hours=n) for n in range(HOURS_SHOWN)]
    empty = dict.fromkeys(OUTCOMES, 0)
    activity: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for webhook in webhooks.order_by("name"):
        hourly = [{**empty, **per_hour[webhook.pk].get(hour, {}), "hour": hour} for hour in hours]
        totals = {key: sum(h[key] for h in hourly) for key in empty}
        activity[webhook.station_id].append(
            {"webhook": webhook, "hourly": hourly, "totals": totals, "all": sum(totals.values())}
        )
    return {
        station_id: sorted(rows, key=lambda row: -row["all"])[:WEBHOOKS_SHOWN]
        for station_id, rows in activity.items()
    }


def resyncs_of(station: Station) -> list[ResyncJob]:
    """The station's resync jobs still queued or running, oldest first."""
    return list(
        ResyncJob.objects.filter(webhook__station=station, status__in=ACTIVE_RESYNC_STATUSES)
        .select_related("webhook")
        .order_by("created_at")
    )


def resync_in_progress() -> bool:
    return ResyncJob.objects.filter(status__in=ACTIVE_RESYNC_STATUSES).exists()


def station_overviews(
    *, now: datetime, stations: QuerySet[Station] | None = None
) -> list[dict[str, Any]]:
    """Per station: the last 24 hours' outcomes (`hourly`, `totals`) in all and per
    webhook (`webhooks`), failing, held (their breaker is open; `breaker_text` says until
    when) and disabled webhooks, resyncs in progress, streams monitored and down now, and
    the latest stream alerts sent, each with how many of its deliveries arrived.
    `stations` limits it (an operator's stations); None shows every station."""
    stations = Station.objects.all() if stations is None else stations
    last_error = Subquery(
        Delivery.objects.filter(webhook=OuterRef("pk"))
        .exclude(last_error="")
        .order_by("-created_at")
        .values("last_error")[:1]
    )
    failing = list(
        Webhook.objects.filter(enabled=True, consecutive_failures__gt=0).annotate(
            last_error=last_error
        )
    )
    disabled = list(Webhook.objects.filter(enabled=False))
    held = list(Webhook.objects.filter(enabled=True, breaker_retry_at__isnull=False))
    for webhook in held:
        webhook.breaker_text = describe(webhook.breaker, now)
    resyncs = list(
        ResyncJob.objects.filter(status__in=ACTIVE_RESYNC_STATUSES).select_related("webhook")
    )
    streams_down = list(Stream.objects.filter(monitored=True, is_up=False))
    monitored = set(Stream.objects.filter(monitored=True).values_list("station_id", flat=True))
    activity = webhook_activity(now=now, stations=stations)
    overviews = []
    for station in stations:
        alerts = Event.objects.filter(
            station=station, event_type=STREAM_ALERT.name, is_test=False
        ).annotate(
            delivered=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)),
            recipients=Count("deliveries"),
        )
        overviews.append(
            {
                "station": station,
                "hourly": hourly_outcomes(now=now, station=station),
                "totals": outcome_totals(now=now, station=station),
                "failing": [w for w in failing if w.station_id == station.pk],
                "disabled": [w for w in disabled if w.station_id == station.pk],
                "held": [w for w in held if w.station_id == station.pk],
                "resyncs": [j for j in resyncs if j.webhook.station_id == station.pk],
                "webhooks": activity.get(station.pk, []),
                "monitors_streams": station.pk in monitored,
                "streams_down": [s for s in streams_down if s.station_id == station.pk],
                "alerts": [
                    {
                        "at": event.created_at,
                        "summary": json.loads(event.body)["summary"],
                        "delivered": event.delivered,
                        "recipients": event.recipients,
                    }
                    for event in alerts.order_by("-created_at")[:RECENT_ALERTS_SHOWN]
                ],
            }
        )
    return overviews
