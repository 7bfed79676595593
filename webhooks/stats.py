"""Hourly outcome counters (DeliveryStat): written by the engine, read by the dashboard
and the webhook pages."""

from collections import Counter
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Sum

from webhooks.models import DeliveryStat

__all__ = ["HOURS_SHOWN", "count_outcomes", "hourly_outcomes", "outcome_totals"]

HOURS_SHOWN = 24


def count_outcomes(
    *,
    station_of: dict[int, int],
    delivered: Counter,
    failed: Counter,
    retried: Counter,
    now: datetime,
) -> None:
    """Add one batch's outcomes (per webhook id) to the current hour's counters, with one
    upsert per webhook, in the caller's transaction."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    rows = [
        (
            webhook_id,
            station_id,
            hour,
            delivered[webhook_id],
            failed[webhook_id],
            retried[webhook_id],
        )
        for webhook_id, station_id in sorted(station_of.items())  # lock order: by webhook
        if delivered[webhook_id] or failed[webhook_id] or retried[webhook_id]
    ]
    if not rows:
        return
    table = connection.ops.quote_name(DeliveryStat._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (webhook_id, station_id, hour, delivered, failed, retried) "
            f"VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (webhook_id, hour) DO UPDATE SET "
            f"delivered = {table}.delivered + EXCLUDED.delivered, "
            f"failed = {table}.failed + EXCLUDED.failed, "
            f"retried = {table}.retried + EXCLUDED.retried",
            rows,
        )


def _since(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS_SHOWN - 1)


def hourly_outcomes(*, now: datetime, **filters) -> list[dict]:
    """The last HOURS_SHOWN hours, oldest first, each `{hour, delivered, failed, retried}`
    (zeros where nothing happened), summed over the stats matching `filters`."""
    since = _since(now)
    sums = {
        row["hour"]: row
        for row in DeliveryStat.objects.filter(hour__gte=since, **filters)
        .values("hour")
        .annotate(delivered=Sum("delivered"), failed=Sum("failed"), retried=Sum("retried"))
    }
    hours = [since + timedelta(hours=n) for n in range(HOURS_SHOWN)]
    empty = {"delivered": 0, "failed": 0, "retried": 0}
    return [{**empty, **sums.get(hour, {}), "hour": hour} for hour in hours]


def outcome_totals(*, now: datetime, **filters) -> dict[str, int]:
    totals = DeliveryStat.objects.filter(hour__gte=_since(now), **filters).aggregate(
        delivered=Sum("delivered"), failed=Sum("failed"), retried=Sum("retried")
    )
    return {key: value or 0 for key, value in totals.items()}
