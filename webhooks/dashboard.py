"""What the operators' dashboard shows, read with a handful of indexed queries however
large the delivery log grows: outcome charts come from the hourly DeliveryStat rollup."""

import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Subquery

from stations.models import Station, Stream
from webhooks.choices import Trigger
from webhooks.models import ACTIVE_RESYNC_STATUSES, Delivery, Event, ResyncJob, Webhook
from webhooks.stats import hourly_outcomes, outcome_totals

__all__ = ["Bar", "bar_chart", "station_panels"]

RECENT_ALERTS_SHOWN = 10
OUTCOME_COLOURS = {"delivered": "#2e7d32", "failed": "#c62828", "retried": "#e0a800"}


@dataclass(frozen=True)
class Bar:
    """One stacked segment of the 24 h chart, in SVG user units."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


def bar_chart(hourly: list[dict], *, width: float, height: float) -> list[Bar]:
    """Stacked bars (delivered, failed, retried) per hour, scaled to the busiest hour
    (pure: the template only draws the rectangles)."""
    slot = width / max(len(hourly), 1)
    peak = max((h["delivered"] + h["failed"] + h["retried"] for h in hourly), default=0) or 1
    bars = []
    for n, hour in enumerate(hourly):
        top = height
        for outcome, colour in OUTCOME_COLOURS.items():
            count = hour[outcome]
            if not count:
                continue
            size = height * count / peak
            top -= size
            bars.append(
                Bar(
                    x=n * slot + slot * 0.1,
                    y=top,
                    width=slot * 0.8,
                    height=size,
                    colour=colour,
                    title=f"{hour['hour']:%H}:00 UTC: {count} {outcome}",
                )
            )
    return bars


def station_panels(*, now: datetime, stations=None) -> list[dict]:
    """Per station: the 24 h chart and totals, failing and disabled webhooks, resyncs in
    progress, streams down now and the latest stream alerts. `stations` limits it (an
    operator's stations); None shows every station."""
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
    resyncs = list(
        ResyncJob.objects.filter(status__in=ACTIVE_RESYNC_STATUSES).select_related("webhook")
    )
    streams_down = list(Stream.objects.filter(monitored=True, is_up=False))
    panels = []
    for station in stations:
        alerts = Event.objects.filter(station=station, type=Trigger.STREAM_ALERT, is_test=False)
        hourly = hourly_outcomes(now=now, station=station)
        panels.append(
            {
                "station": station,
                "bars": bar_chart(hourly, width=480, height=120),
                "totals": outcome_totals(now=now, station=station),
                "failing": [w for w in failing if w.station_id == station.pk],
                "disabled": [w for w in disabled if w.station_id == station.pk],
                "resyncs": [j for j in resyncs if j.webhook.station_id == station.pk],
                "streams_down": [s for s in streams_down if s.station_id == station.pk],
                "alerts": [
                    {"at": event.created_at, "summary": json.loads(event.body)["summary"]}
                    for event in alerts.order_by("-created_at")[:RECENT_ALERTS_SHOWN]
                ],
            }
        )
    return panels
