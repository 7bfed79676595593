"""The circuit breaker of one endpoint, as pure functions: (breaker, attempt) -> breaker.

An endpoint that stops answering costs only itself: after `threshold` consecutive attempts
that got no HTTP answer (connection refused or reset, timeout), the breaker opens. While it
is open the endpoint's deliveries are held (the engine moves them to `retry_at`; a held
delivery burns no attempt). At `retry_at` one probe goes out, the endpoint's oldest due
delivery: an answer closes the breaker and the held deliveries follow at once; no answer
opens it again for twice as long as before, up to `max_cooldown_s`.

Any HTTP answer, whatever its status, closes the breaker: a receiver that answers 500 is
up, and its failures are the outcome rules' business (retries, auto-disable). A target
refused by the SSRF guard leaves the breaker as it is.

`retry_at` is the whole state: None is closed, a time in the future is open, a time that
has passed is half-open (the probe may go). While a probe is in flight the engine sets
`retry_at` to the end of the probe's lease, so a probe whose worker died is followed by
another once that lease has expired.
"""

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

__all__ = [
    "Breaker",
    "BreakerRules",
    "BreakerState",
    "after_attempt",
    "cooldown_s",
    "describe",
]


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass(frozen=True)
class BreakerRules:
    threshold: int
    cooldown_s: float
    max_cooldown_s: float


@dataclass(frozen=True)
class Breaker:
    """An endpoint's breaker: `failures` attempts in a row got no answer; the breaker
    opened `trips` times in a row without an answer since; `reason` is the last error."""

    failures: int = 0
    trips: int = 0
    retry_at: datetime | None = None
    reason: str = ""

    def state(self, now: datetime) -> BreakerState:
        if self.retry_at is None:
            return BreakerState.CLOSED
        return BreakerState.OPEN if self.retry_at > now else BreakerState.HALF_OPEN


def cooldown_s(trips: int, rules: BreakerRules) -> float:
    """How long the breaker stays open after its `trips`-th opening in a row (1-based)."""
    return min(rules.cooldown_s * 2 ** (trips - 1), rules.max_cooldown_s)


def after_attempt(
    breaker: Breaker,
    *,
    answered: bool,
    error: str,
    probe: bool,
    now: datetime,
    rules: BreakerRules,
) -> Breaker:
    """The breaker after one attempt that got an HTTP answer (`answered`) or failed to get
    one with `error`. `probe` says whether the attempt was the breaker's probe."""
    if answered:
        return Breaker()
    failures = breaker.failures + 1
    if probe:
        trips = breaker.trips + 1
        return Breaker(failures, trips, now + timedelta(seconds=cooldown_s(trips, rules)), error)
    if breaker.retry_at is None and failures >= rules.threshold:
        return Breaker(failures, 1, now + timedelta(seconds=cooldown_s(1, rules)), error)
    return replace(breaker, failures=failures)


def describe(breaker: Breaker, now: datetime) -> str:
    """What an operator reads about an endpoint's breaker (times in UTC)."""
    state = breaker.state(now)
    if state is BreakerState.CLOSED:
        if breaker.failures:
            return f"sending ({breaker.failures} attempts in a row got no answer)"
        return "sending"
    if state is BreakerState.HALF_OPEN:
        return f"held: endpoint failing, trying again now ({breaker.reason})"
    return f"held: endpoint failing, next try at {breaker.retry_at:%H:%M} UTC ({breaker.reason})"
