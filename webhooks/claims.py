"""Claiming due deliveries: the engine's first step (webhooks.engine sends and records).

One short transaction leases due deliveries, oldest first (ties in publishing order),
skipping endpoints at their in-flight cap (leased deliveries per webhook, counted over
every worker: claims are serialised, so the cap is exact; `Webhook.in_flight_cap`) and
holding the deliveries of endpoints whose breaker is open (webhooks.breaker) or that are
paused (webhooks.holding); a half-open endpoint gets one delivery, its probe.

A lease lasts the request timeout plus a margin, longer than any attempt, so a live
worker's delivery is never sent twice; a dead worker's leases expire and its deliveries go
out again (at-least-once; receivers de-duplicate by webhook-id).
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from webhooks.breaker import BreakerState
from webhooks.choices import DeliveryStatus
from webhooks.holding import hold_deliveries, hold_paused_deliveries
from webhooks.models import Delivery, Webhook, due_at

__all__ = [
    "CLAIM_LIMIT",
    "LEASE_MARGIN_S",
    "Claim",
    "claim_due_deliveries",
    "due_times",
    "in_flight_per_webhook",
    "lease_s",
]

CLAIM_LIMIT = 100
LEASE_MARGIN_S = 5.0
CLAIM_LOCK_ID = 0x5748_434C  # pg_advisory_xact_lock key that serialises claims


def lease_s() -> float:
    """How long a claim holds a delivery: longer than any attempt can take."""
    return settings.WEBHOOKS_REQUEST_TIMEOUT_S + LEASE_MARGIN_S


def due_times(*, limit: int) -> list[datetime]:
    """When the due deliveries nobody holds fell due, oldest first, at most `limit`."""
    due = Delivery.objects.filter(due_at(timezone.now())).order_by("next_attempt_at")
    return list(due.values_list("next_attempt_at", flat=True)[:limit])


def in_flight_per_webhook(now: datetime) -> dict[int, int]:
    """Leased deliveries per webhook: the sends in flight, across every worker."""
    leased = Delivery.objects.filter(status=DeliveryStatus.PENDING, lease_expires_at__gt=now)
    return dict(leased.values("webhook_id").annotate(n=Count("pk")).values_list("webhook_id", "n"))


@dataclass
class Claim:
    """What one claim leased. `at_cap`: webhooks that were at their in-flight cap, whose
    due deliveries it had to leave (a finished send of theirs makes room)."""

    deliveries: list[Delivery] = field(default_factory=list)
    at_cap: set[int] = field(default_factory=set)


def _serialise_claims() -> None:
    """One claim at a time across every worker (PostgreSQL), so in-flight counts cannot
    change under a claim; SQLite's IMMEDIATE transactions already do that."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLAIM_LOCK_ID])


def claim_due_deliveries(*, limit: int, ids: list[int] | None = None) -> Claim:
    """Lease up to `limit` due deliveries (see the module docstring), loaded with their
    event and webhook, each webhook once (its secret and key are decrypted on load).
    With `ids`, only those, whatever their endpoint's cap or breaker: an operator's
    send-now. Each delivery says whether it is its breaker's probe (`is_probe`)."""
    now = timezone.now()
    until = now + timedelta(seconds=lease_s())
    claim = Claim()
    with transaction.atomic():
        _serialise_claims()
        due = Delivery.objects.filter(due_at(now))
        if ids is not None:
            chosen, probes = list(due.filter(pk__in=ids).values_list("pk", flat=True)), {}
            webhooks = {}
        else:
            in_flight = in_flight_per_webhook(now)
            claim.at_cap = _at_cap(in_flight)
            candidates = list(
                due.exclude(webhook_id__in=claim.at_cap)
                .order_by("next_attempt_at", "pk")
                .values_list("pk", "webhook_id")[: max(2 * limit, CLAIM_LIMIT)]
            )
            webhooks = Webhook.objects.in_bulk({w for _, w in candidates})
            chosen, probes, full = _choose(candidates, webhooks, in_flight, limit=limit, now=now)
            claim.at_cap |= full
        claimed = list(
            Delivery.objects.filter(due_at(now), pk__in=chosen)
            .order_by("next_attempt_at", "pk")
            .select_related("event")
            .select_for_update(skip_locked=True, no_key=True, of=("self",))
        )
        if claimed:
            Delivery.objects.filter(pk__in=[d.pk for d in claimed]).update(lease_expires_at=until)
        claimed_ids = {d.pk for d in claimed}
        for delivery_id, webhook_id in probes.items():
            if delivery_id in claimed_ids:  # closed to all but this probe until it is back
                Webhook.objects.filter(pk=webhook_id).update(breaker_retry_at=until)
                hold_deliveries(webhook_id, until, now=now, keep=delivery_id)
        for webhook in webhooks.values():  # deliveries that arrived while it was open
            if webhook.paused_at:
                hold_paused_deliveries(webhook.pk, now=now)
            elif webhook.breaker.state(now) is BreakerState.OPEN:
                hold_deliveries(webhook.pk, webhook.breaker_retry_at, now=now)
    missing = {d.webhook_id for d in claimed} - webhooks.keys()
    webhooks |= Webhook.objects.in_bulk(missing)
    for delivery in claimed:
        delivery.webhook = webhooks[delivery.webhook_id]
        delivery.lease_expires_at = until
        delivery.is_probe = delivery.pk in probes
    claim.deliveries = claimed
    return claim


def _at_cap(in_flight: dict[int, int]) -> set[int]:
    """The webhooks whose in-flight deliveries fill their cap."""
    quick = Webhook.objects.filter(pk__in=list(in_flight), answers_quickly=True).order_by()
    quick = set(quick.values_list("pk", flat=True))
    small, burst = (
        settings.WEBHOOKS_ENDPOINT_MAX_IN_FLIGHT,
        settings.WEBHOOKS_QUICK_ENDPOINT_MAX_IN_FLIGHT,
    )
    return {w for w, n in in_flight.items() if n >= (burst if w in quick else small)}


def _choose(
    candidates: list[tuple[int, int]],
    webhooks: dict[int, Webhook],
    in_flight: dict[int, int],
    *,
    limit: int,
    now: datetime,
) -> tuple[list[int], dict[int, int], set[int]]:
    """Which candidates (oldest first) to claim: up to each webhook's room (its cap minus
    what it has in flight; one probe when half-open, none when open or paused; a disabled
    webhook's deliveries all, since they only fail). Returns the ids, {probe id: webhook id} and the
    webhooks whose room ran out before their candidates did."""
    taken: Counter = Counter()
    chosen, probes, full = [], {}, set()
    for delivery_id, webhook_id in candidates:
        if len(chosen) >= limit:
            break
        webhook = webhooks[webhook_id]
        if webhook.paused_at:
            continue
        state = webhook.breaker.state(now)
        if not webhook.enabled:
            chosen.append(delivery_id)
            continue
        if state is BreakerState.OPEN:
            continue
        cap = 1 if state is BreakerState.HALF_OPEN else webhook.in_flight_cap()
        room = cap - in_flight.get(webhook_id, 0)
        if taken[webhook_id] >= room:
            if state is BreakerState.CLOSED:
                full.add(webhook_id)
            continue
        taken[webhook_id] += 1
        chosen.append(delivery_id)
        if state is BreakerState.HALF_OPEN:
            probes[delivery_id] = webhook_id
    return chosen, probes, full
