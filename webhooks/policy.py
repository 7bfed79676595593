"""The outcome rules, as pure functions: (response or error, attempt) -> next step.

From xtra's retry table, made precise:
- 2xx: delivered.
- 5xx, 408, 429, timeout, connection error: retry, up to `len(retry_delays_s)` times,
  waiting `retry_delays_s[n]` (±20 % jitter) before retry n+1; 429's `Retry-After` replaces
  that wait, clamped to [1 s, 1 h].
- 410 Gone: failed, and the webhook is disabled (Standard Webhooks' advice).
- any other status (3xx — redirects are not followed —, other 4xx): failed, no retry.
- a target refused by the SSRF guard, or a request the webhook's format could not make:
  failed, no retry.

A webhook's format may read an answer first (webhooks.formats: Telegram's `{"ok": false}`
in a 200, Discord's `retry_after`); what it says replaces these rules for that answer.
"""

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from webhooks.choices import DeliveryStatus

__all__ = [
    "JITTER_FRACTION",
    "ErrorKind",
    "NextStep",
    "Outcome",
    "clamp_retry_after",
    "classify",
    "next_step",
    "parse_retry_after",
]

JITTER_FRACTION = 0.2
RETRY_AFTER_MIN_S = 1.0
RETRY_AFTER_MAX_S = 3600.0


class ErrorKind(enum.StrEnum):
    """Why an attempt got no HTTP status."""

    TIMEOUT = "timeout"
    CONNECTION = "connection"
    REFUSED_TARGET = "refused_target"
    UNSENDABLE = "unsendable"  # the webhook's format could not make the request


class Outcome(enum.StrEnum):
    DELIVERED = "delivered"
    RETRYABLE = "retryable"
    FAILED = "failed"
    GONE = "gone"


@dataclass(frozen=True)
class NextStep:
    status: DeliveryStatus
    retry_in_s: float | None = None
    disable_webhook: bool = False


def classify(status_code: int | None, error_kind: ErrorKind | None) -> Outcome:
    if status_code is None:
        if error_kind in (ErrorKind.TIMEOUT, ErrorKind.CONNECTION):
            return Outcome.RETRYABLE
        return Outcome.FAILED
    if 200 <= status_code < 300:
        return Outcome.DELIVERED
    if status_code >= 500 or status_code in (408, 429):
        return Outcome.RETRYABLE
    if status_code == 410:
        return Outcome.GONE
    return Outcome.FAILED


def next_step(
    *,
    outcome: Outcome,
    attempts_made: int,
    retry_delays_s: Sequence[float],
    auto_retry: bool = True,
    retry_after_s: float | None = None,
    jitter: float = 0.0,
) -> NextStep:
    """What follows attempt number `attempts_made` (1-based) of a delivery.

    `jitter` in [-1, 1] (the caller draws it) scales the ±JITTER_FRACTION spread, so this
    function stays deterministic. An operator's redelivery (`auto_retry=False`) gets one
    attempt and no retries.
    """
    if outcome is Outcome.DELIVERED:
        return NextStep(DeliveryStatus.DELIVERED)
    if outcome is Outcome.GONE:
        return NextStep(DeliveryStatus.FAILED, disable_webhook=True)
    if outcome is Outcome.FAILED or not auto_retry or attempts_made > len(retry_delays_s):
        return NextStep(DeliveryStatus.FAILED)
    if retry_after_s is not None:
        return NextStep(DeliveryStatus.PENDING, retry_in_s=retry_after_s)
    delay = retry_delays_s[attempts_made - 1] * (1 + JITTER_FRACTION * jitter)
    return NextStep(DeliveryStatus.PENDING, retry_in_s=max(0.0, delay))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date), clamped
    to [1 s, 1 h]; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - now).total_seconds()
        except (TypeError, ValueError, OverflowError):
            return None
    return clamp_retry_after(seconds)


def clamp_retry_after(seconds: float) -> float | None:
    """A service's wait, clamped to [1 s, 1 h]; None when it is not a number."""
    if math.isnan(seconds):
        return None
    return min(max(seconds, RETRY_AFTER_MIN_S), RETRY_AFTER_MAX_S)
