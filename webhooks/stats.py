"""Hourly outcome counters and latency histograms (DeliveryStat), written by the engine as
it records attempts (webhooks.selectors reads them for the dashboard and the webhook
pages). Test events stay out: the engine passes only real deliveries here."""

from collections import Counter
from datetime import datetime

from django.db import connection

from webhooks.latency import LATENCY_COLUMNS, latency_histogram
from webhooks.models import DeliveryStat

__all__ = ["OUTCOMES", "count_outcomes"]

# DeliveryStat's outcome counts.
OUTCOMES = ("delivered", "failed", "retried")


def count_outcomes(
    *,
    station_of: dict[int, int],
    delivered: Counter,
    failed: Counter,
    retried: Counter,
    latencies_s: dict[int, list[float]],
    now: datetime,
) -> None:
    """Add one batch's outcomes and delivered latencies (per webhook id) to the current
    hour's counters, with one upsert per webhook, in the caller's transaction.

    The upsert adds to the row's counts in the database (ON CONFLICT DO UPDATE, on
    PostgreSQL and SQLite alike), so concurrent recorders never lose each other's counts;
    rows are written in webhook order, the lock order the recorders share."""
    # As the ORM writes it: SQLite compares datetimes as text, so a row the ORM wrote for
    # this hour must hold the very same text for the upsert to find it.
    hour = connection.ops.adapt_datetimefield_value(now.replace(minute=0, second=0, microsecond=0))
    rows = [
        (
            webhook_id,
            station_id,
            hour,
            delivered[webhook_id],
            failed[webhook_id],
            retried[webhook_id],
            *latency_histogram(latencies_s.get(webhook_id, ())),
        )
        for webhook_id, station_id in sorted(station_of.items())  # lock order: by webhook
        if delivered[webhook_id] or failed[webhook_id] or retried[webhook_id]
    ]
    if not rows:
        return
    table = connection.ops.quote_name(DeliveryStat._meta.db_table)
    counts = OUTCOMES + LATENCY_COLUMNS
    columns = ", ".join(("webhook_id", "station_id", "hour", *counts))
    placeholders = ", ".join(["%s"] * (3 + len(counts)))
    additions = ", ".join(f"{name} = {table}.{name} + EXCLUDED.{name}" for name in counts)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "
            f"ON CONFLICT (webhook_id, hour) DO UPDATE SET {additions}",
            rows,
        )
