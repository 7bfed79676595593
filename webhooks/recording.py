"""Recording what the sends did: every attempt, every delivery's next state, the webhooks'
failure streaks (auto-disable) and breakers, the hourly stats and the engine's running
totals, for one group of finished sends in one transaction.

The outcome rules are webhooks.policy's; the breaker's, webhooks.breaker's. How they
compose with auto-disable: a delivery that ends failed adds to its webhook's failure
streak (WEBHOOKS_AUTO_DISABLE_AFTER of them, or one 410 Gone, disable it); an attempt with
no HTTP answer adds to its breaker's count. While the breaker holds an endpoint's
deliveries none of them ends, so the streak only grows through failed probes, each one
attempt of the endpoint's oldest delivery.
"""

import logging
import os
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from webhooks import destinations
from webhooks.breaker import Breaker, BreakerRules, after_attempt
from webhooks.choices import DeliveryStatus
from webhooks.holding import hold_deliveries, release_deliveries
from webhooks.inserts import insert_all
from webhooks.latency import LATENCY_BUCKETS_S, bucket_index, delivery_latency_s
from webhooks.models import Delivery, DeliveryAttempt, EngineCounter, Webhook
from webhooks.policy import (
    ErrorKind,
    Outcome,
    clamp_retry_after,
    classify,
    next_step,
    parse_retry_after,
)
from webhooks.stats import count_outcomes
from webhooks.transport import AttemptResult

__all__ = ["Sent", "breaker_rules", "latency_bucket", "record"]

logger = logging.getLogger("stationhooks.engine")

COUNTER_SHARDS = 64
NO_ANSWER = (ErrorKind.TIMEOUT, ErrorKind.CONNECTION)
# An endpoint whose attempts are all answered within this may have a burst in flight.
QUICK_ANSWER_MS = 1000
TOTAL_OF_STATUS = {
    DeliveryStatus.DELIVERED: "delivered",
    DeliveryStatus.FAILED: "failed",
    DeliveryStatus.PENDING: "retried",
}


@dataclass(frozen=True)
class Sent:
    """One claimed delivery and what its send did: `result` None means its webhook is
    disabled and nothing was sent; `probe` that it was its breaker's probe."""

    delivery: Delivery
    result: AttemptResult | None
    probe: bool


def breaker_rules() -> BreakerRules:
    return BreakerRules(
        threshold=settings.WEBHOOKS_BREAKER_THRESHOLD,
        cooldown_s=settings.WEBHOOKS_BREAKER_COOLDOWN_S,
        max_cooldown_s=settings.WEBHOOKS_BREAKER_MAX_COOLDOWN_S,
    )


def latency_bucket(seconds: float) -> str:
    """The running total (EngineCounter) a delivery latency adds one to: its bucket's."""
    index = bucket_index(seconds)
    if index == len(LATENCY_BUCKETS_S):
        return "latency_le_inf"
    return f"latency_le_{LATENCY_BUCKETS_S[index]:g}"


def record(group: list[Sent]) -> None:
    """Write one group of finished sends (see the module docstring). A send that never
    started is released: due again at once, with no attempt."""
    before = [(sent.delivery, _state(sent.delivery)) for sent in group]
    try:
        _record(group)
    except BaseException:  # leave the deliveries as claimed, for another try
        for delivery, state in before:
            for name, value in state.items():
                setattr(delivery, name, value)
        raise


def _state(delivery: Delivery) -> dict:
    return {name: getattr(delivery, name) for name in RECORDED_FIELDS}


def _record(group: list[Sent]) -> None:
    now = timezone.now()
    attempts: list[DeliveryAttempt] = []
    delivered, failed, retried = Counter(), Counter(), Counter()
    tally = {
        DeliveryStatus.DELIVERED: delivered,
        DeliveryStatus.FAILED: failed,
        DeliveryStatus.PENDING: retried,
    }
    latencies: dict[int, list[float]] = defaultdict(list)
    totals: Counter = Counter()
    gone: set[int] = set()
    answers: dict[int, list[tuple[bool, str, bool]]] = defaultdict(list)
    quick: dict[int, bool] = defaultdict(lambda: True)  # every attempt answered quickly
    deliveries = [sent.delivery for sent in group]
    for sent in sorted(group, key=lambda s: s.result.answered_at if s.result else now):
        delivery, result = sent.delivery, sent.result
        delivery.lease_expires_at, delivery.updated_at = None, now
        if result is None:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            delivery.last_error, delivery.finished_at = "Webhook is disabled.", now
            totals["failed"] += 1
            continue
        if not result.attempted:
            continue
        delivery.attempt_count += 1
        verdict = None
        if result.status_code is not None:
            verdict = destinations.judge_answer(
                delivery.webhook,
                status=result.status_code,
                headers=result.response_headers,
                body=result.response_body,
                at=result.answered_at,
            )
        error = result.error or (verdict.reason if verdict else "")
        attempts.append(
            DeliveryAttempt(
                delivery=delivery,
                number=delivery.attempt_count,
                manual=not delivery.auto_retry,
                started_at=result.started_at,
                duration_ms=result.duration_ms,
                request_headers=result.request_headers,
                request=result.request,
                response_status=result.status_code,
                response_headers=result.response_headers,
                response_body=result.response_body,
                error=error,
            )
        )
        outcome = verdict.outcome if verdict else classify(result.status_code, result.error_kind)
        if verdict and verdict.retry_after_s is not None:
            retry_after_s = clamp_retry_after(verdict.retry_after_s)
        elif result.status_code == 429:
            retry_after_s = parse_retry_after(result.response_headers.get("Retry-After"), now)
        else:
            retry_after_s = None
        step = next_step(
            outcome=outcome,
            attempts_made=delivery.attempt_count,
            retry_delays_s=settings.WEBHOOKS_RETRY_DELAYS_S,
            auto_retry=delivery.auto_retry,
            retry_after_s=retry_after_s,
            jitter=random.uniform(-1, 1),
        )
        delivery.status = step.status
        delivery.last_status_code = result.status_code
        delivery.last_error = error or (
            "" if outcome is Outcome.DELIVERED else f"HTTP {result.status_code}"
        )
        if step.status == DeliveryStatus.PENDING:
            delivery.next_attempt_at = now + timedelta(seconds=step.retry_in_s)
        else:
            delivery.next_attempt_at, delivery.finished_at = None, now
        if not delivery.event.is_test:  # tests stay out of success rates and streaks
            tally[step.status][delivery.webhook_id] += 1
        totals[TOTAL_OF_STATUS[step.status]] += 1
        if step.status == DeliveryStatus.DELIVERED:
            latency_s = delivery_latency_s(
                due_at=delivery.scheduled_at, answered_at=result.answered_at
            )
            totals[latency_bucket(latency_s)] += 1
            totals["latency_sum_s"] += latency_s
            if not delivery.event.is_test:
                latencies[delivery.webhook_id].append(latency_s)
        if step.disable_webhook:
            gone.add(delivery.webhook_id)
        if result.status_code is not None or result.error_kind in NO_ANSWER:
            answers[delivery.webhook_id].append(
                (result.status_code is not None, result.error, sent.probe)
            )
            quick[delivery.webhook_id] &= (
                result.status_code is not None and result.duration_ms <= QUICK_ANSWER_MS
            )
    claimed = {d.webhook_id: d.webhook for d in deliveries}
    with transaction.atomic():
        insert_all(attempts)
        _save_states(deliveries)
        changed_speed = {w: q for w, q in quick.items() if q != claimed[w].answers_quickly}
        _lock_webhooks_to_update(claimed, answers, delivered, failed, gone | set(changed_speed))
        _update_failure_streaks(delivered, failed, gone, now)
        for answers_quickly in (True, False):
            ids = [w for w, q in changed_speed.items() if q is answers_quickly]
            if ids:
                Webhook.objects.filter(pk__in=ids).update(answers_quickly=answers_quickly)
        _update_breakers(answers, claimed, now)
        count_outcomes(
            station_of={d.webhook_id: d.station_id for d in deliveries},
            delivered=delivered,
            failed=failed,
            retried=retried,
            latencies_s=latencies,
            now=now,
        )
        _add_to_totals(totals)


RECORDED_FIELDS = (
    "status",
    "attempt_count",
    "next_attempt_at",
    "lease_expires_at",
    "last_status_code",
    "last_error",
    "finished_at",
    "updated_at",
)


def _save_states(deliveries: list[Delivery]) -> None:
    """Write the deliveries' new states with as few and as cheap UPDATEs as possible.

    Deliveries that end in the same state (the usual case: a group delivered at once)
    share one UPDATE. The rest (jittered retries, mostly) get one UPDATE of the fields they
    share and one bulk_update of only the fields that differ: bulk_update builds a CASE per
    row and field, which costs more than the send itself when it writes every field of
    every row."""
    same_state: dict[tuple, list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        same_state[tuple(getattr(delivery, name) for name in RECORDED_FIELDS)].append(delivery)
    distinct: list[Delivery] = []
    for state, group in same_state.items():
        if len(group) == 1:
            distinct += group
            continue
        Delivery.objects.filter(pk__in=[d.pk for d in group]).update(
            **dict(zip(RECORDED_FIELDS, state, strict=True))
        )
    if not distinct:
        return
    differing = [name for name in RECORDED_FIELDS if len({getattr(d, name) for d in distinct}) > 1]
    shared = {name: getattr(distinct[0], name) for name in RECORDED_FIELDS if name not in differing}
    if shared:
        Delivery.objects.filter(pk__in=[d.pk for d in distinct]).update(**shared)
    if differing:
        Delivery.objects.bulk_update(distinct, differing)


def _lock_webhooks_to_update(
    claimed: dict[int, Webhook],
    answers: dict[int, list[tuple[bool, str, bool]]],
    delivered: Counter,
    failed: Counter,
    others: set[int],
) -> None:
    """Lock, in id order, the webhook rows this recording will update (failure streaks,
    breakers, `others`), before any of them: recorders in other workers then take these
    locks, and then the hourly stats' rows, in the same order, and never deadlock."""
    needed = set(failed) | others | set(_breakers_to_update(answers, claimed))
    needed |= {w for w in delivered if claimed[w].consecutive_failures}
    if needed:
        locked = Webhook.objects.select_for_update(no_key=True).filter(pk__in=needed)
        list(locked.order_by("pk").values("pk"))


def _breakers_to_update(
    answers: dict[int, list[tuple[bool, str, bool]]], claimed: dict[int, Webhook]
) -> list[int]:
    """Webhooks whose breaker the group may change: all but those whose breaker was
    closed with no failure counted (when claimed) and which only got answers."""
    return [
        webhook_id
        for webhook_id, results in answers.items()
        if claimed[webhook_id].breaker != Breaker() or not all(a for a, _, _ in results)
    ]


def _update_failure_streaks(
    delivered: Counter, failed: Counter, gone: set[int], now: datetime
) -> None:
    """A delivered message ends a webhook's failure streak; a streak of
    WEBHOOKS_AUTO_DISABLE_AFTER failed deliveries, or one 410 Gone, disables it."""
    if delivered:
        Webhook.objects.filter(pk__in=list(delivered), consecutive_failures__gt=0).update(
            consecutive_failures=0
        )
    for webhook_id, count in failed.items():
        if webhook_id in delivered:
            continue
        Webhook.objects.filter(pk=webhook_id).update(
            consecutive_failures=F("consecutive_failures") + count
        )
    threshold = settings.WEBHOOKS_AUTO_DISABLE_AFTER
    disabled = Webhook.objects.filter(
        pk__in=list(failed), enabled=True, consecutive_failures__gte=threshold
    ).update(
        enabled=False,
        disabled_at=now,
        disabled_reason=f"Disabled after {threshold} consecutive failed deliveries.",
    )
    if disabled:
        logger.warning("Disabled %d webhook(s) after %d failed deliveries", disabled, threshold)
    if gone:
        logger.warning("Disabling webhooks %s: receiver answered 410 Gone", sorted(gone))
        Webhook.objects.filter(pk__in=gone, enabled=True).update(
            enabled=False,
            disabled_at=now,
            disabled_reason="The receiver answered 410 Gone.",
        )


def _add_to_totals(totals: Counter) -> None:
    """Add to this process's shard of the running totals (EngineCounter), one upsert."""
    if not totals:
        return
    shard = os.getpid() % COUNTER_SHARDS
    table = connection.ops.quote_name(EngineCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (shard, name, value) VALUES (%s, %s, %s) "
            f"ON CONFLICT (shard, name) DO UPDATE SET value = {table}.value + EXCLUDED.value",
            [(shard, name, value) for name, value in sorted(totals.items())],
        )


def _update_breakers(
    answers: dict[int, list[tuple[bool, str, bool]]], claimed: dict[int, Webhook], now: datetime
) -> None:
    """Run each webhook's breaker through the group's attempts, in the order they ended;
    hold its deliveries when it opens, let them go when it closes. Webhooks whose breaker
    is closed with no failure counted and which only got answers are not touched."""
    rules = breaker_rules()
    touched = _breakers_to_update(answers, claimed)
    if not touched:
        return
    for webhook in Webhook.objects.filter(pk__in=touched).only("pk", *Webhook.BREAKER_FIELDS):
        before = after = webhook.breaker
        for answered, error, probe in answers[webhook.pk]:
            after = after_attempt(
                after, answered=answered, error=error, probe=probe, now=now, rules=rules
            )
        if after == before:
            continue
        webhook.set_breaker(after)
        Webhook.objects.filter(pk=webhook.pk).update(
            **{name: getattr(webhook, name) for name in Webhook.BREAKER_FIELDS}
        )
        if after.retry_at and after.retry_at != before.retry_at:
            held = hold_deliveries(webhook.pk, after.retry_at, now=now)
            logger.warning(
                "Webhook %s is failing (%s): holding %d deliveries until %s",
                webhook.pk,
                after.reason,
                held,
                after.retry_at.isoformat(timespec="seconds"),
            )
        elif after.retry_at is None and before.retry_at is not None:
            released = release_deliveries(webhook.pk, before.retry_at, now=now)
            logger.info("Webhook %s answers again: %d held deliveries go out", webhook.pk, released)
