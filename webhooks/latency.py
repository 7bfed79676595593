"""Delivery latency: what it measures, the histogram the engine counts it in, and the
percentiles read back from such a histogram. Pure: no database, no clock.

A delivery's latency runs from when it was first due (`Delivery.scheduled_at`: its publish
time plus any delay, debounce or throttle its webhook asks for) to the receiver's answer
that delivered it. It includes the wait for a worker, every failed attempt and the waits
between retries, and the last request's round trip. Only a delivered delivery has one.

Each latency adds one to a bucket: the first of LATENCY_BUCKETS_S it does not exceed, or
the open bucket above the last bound. /metrics (the engine's running totals) and the
hourly stats (DeliveryStat's LATENCY_COLUMNS) count the same buckets.
"""

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import accumulate

__all__ = [
    "LATENCY_BUCKETS_S",
    "LATENCY_COLUMNS",
    "bucket_index",
    "delivery_latency_s",
    "latency_histogram",
    "latency_percentile_s",
]

# Upper bounds of the latency buckets, in seconds.
LATENCY_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)
# DeliveryStat's count of each bucket (not cumulative), in bucket order, the open one last.
LATENCY_COLUMNS = tuple(f"latency_le_{bound:g}".replace(".", "_") for bound in LATENCY_BUCKETS_S)
LATENCY_COLUMNS += (f"latency_over_{LATENCY_BUCKETS_S[-1]:g}",)


def delivery_latency_s(*, due_at: datetime, answered_at: datetime) -> float:
    """Seconds from when the delivery was first due to the answer that delivered it (0 if
    clocks put the answer first)."""
    return max((answered_at - due_at).total_seconds(), 0.0)


def bucket_index(seconds: float) -> int:
    """The bucket a latency counts in: an index into LATENCY_COLUMNS."""
    return bisect_left(LATENCY_BUCKETS_S, seconds)


def latency_histogram(latencies_s: Iterable[float]) -> list[int]:
    """How many of `latencies_s` fall in each bucket, in LATENCY_COLUMNS order."""
    counts = [0] * len(LATENCY_COLUMNS)
    for seconds in latencies_s:
        counts[bucket_index(seconds)] += 1
    return counts


def latency_percentile_s(counts: Sequence[int], percent: int) -> float | None:
    """The `percent`th percentile (1 to 100) of a histogram in LATENCY_COLUMNS order, as
    a bucket's upper bound: the smallest bound within which at least `percent` % of the
    counted deliveries were delivered. Not interpolated, so it never claims more precision
    than the buckets have, and it may overstate by up to one bucket.

    When the percentile falls in the open bucket the answer is the last bound
    (LATENCY_BUCKETS_S[-1]), read "that long or more". None when nothing was counted."""
    if not 1 <= percent <= 100:
        raise ValueError(f"percent must be 1 to 100, not {percent}")
    total = sum(counts)
    if not total:
        return None
    index = next(i for i, seen in enumerate(accumulate(counts)) if seen * 100 >= percent * total)
    return LATENCY_BUCKETS_S[min(index, len(LATENCY_BUCKETS_S) - 1)]
