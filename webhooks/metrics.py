"""Prometheus metrics of the delivery engine, served at /metrics to a bearer token.

Workers and the web process are separate processes, often on separate machines, so every
value is read from the database at scrape time rather than from process memory: the
running totals the engine adds to as it records (EngineCounter: outcomes, the latency
histogram), and the deliveries and webhooks tables for the backlog, the sends in flight
(leased deliveries) and the breakers. Any web process answers for the whole hub.
"""

import hmac
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from webhooks.choices import DeliveryStatus
from webhooks.latency import LATENCY_BUCKETS_S
from webhooks.models import Delivery, EngineCounter, Webhook, due_at

__all__ = ["EngineCollector", "metrics_view"]

OUTCOMES = ("delivered", "failed", "retried")


def _totals() -> dict[str, float]:
    rows = EngineCounter.objects.values("name").annotate(total=Sum("value"))
    return {row["name"]: row["total"] for row in rows}


def _latency_histogram(totals: dict[str, float]) -> HistogramMetricFamily:
    buckets, cumulative = [], 0.0
    for bound in LATENCY_BUCKETS_S:
        cumulative += totals.get(f"latency_le_{bound:g}", 0)
        buckets.append((f"{bound:g}", cumulative))
    cumulative += totals.get("latency_le_inf", 0)
    buckets.append(("+Inf", cumulative))
    histogram = HistogramMetricFamily(
        "stationhooks_delivery_latency_seconds",
        "From when a delivery was first due (its publish, plus any delay its webhook asks "
        "for) to the receiver's answer that delivered it.",
    )
    histogram.add_metric([], buckets, totals.get("latency_sum_s", 0))
    return histogram


def _endpoint_states(now: datetime) -> dict[str, int]:
    enabled = Q(enabled=True)
    return Webhook.objects.aggregate(
        closed=Count("pk", filter=enabled & Q(breaker_retry_at__isnull=True)),
        open=Count("pk", filter=enabled & Q(breaker_retry_at__gt=now)),
        half_open=Count("pk", filter=enabled & Q(breaker_retry_at__lte=now)),
        disabled=Count("pk", filter=Q(enabled=False)),
    )


class EngineCollector(Collector):
    """Reads every metric from the database when Prometheus scrapes."""

    def collect(self) -> Iterator:
        now = timezone.now()
        totals = _totals()
        outcomes = CounterMetricFamily(
            "stationhooks_deliveries",
            "Attempts recorded, by outcome: delivered, failed (the delivery gave up), "
            "retried (it failed and is scheduled again).",
            labels=["outcome"],
        )
        for outcome in OUTCOMES:
            outcomes.add_metric([outcome], totals.get(outcome, 0))
        yield outcomes
        yield _latency_histogram(totals)

        due = Delivery.objects.filter(due_at(now)).aggregate(
            count=Count("pk"), oldest=Min("next_attempt_at")
        )
        yield GaugeMetricFamily(
            "stationhooks_due_deliveries",
            "Deliveries due now that no worker has claimed (a breaker's held deliveries "
            "are not due).",
            value=due["count"],
        )
        oldest = (now - due["oldest"]).total_seconds() if due["oldest"] else 0
        yield GaugeMetricFamily(
            "stationhooks_due_oldest_age_seconds",
            "How long the longest-waiting due delivery has been due.",
            value=max(oldest, 0),
        )
        in_flight = Delivery.objects.filter(
            status=DeliveryStatus.PENDING, lease_expires_at__gt=now
        ).count()
        yield GaugeMetricFamily(
            "stationhooks_in_flight_deliveries",
            "Deliveries claimed by a worker and not yet recorded: sends in flight.",
            value=in_flight,
        )
        endpoints = GaugeMetricFamily(
            "stationhooks_endpoints",
            "Webhooks by the state of their circuit breaker (disabled ones apart).",
            labels=["state"],
        )
        for state, count in _endpoint_states(now).items():
            endpoints.add_metric([state.replace("_", "-")], count)
        yield endpoints


_registry = CollectorRegistry(auto_describe=False)
_registry.register(EngineCollector())


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The metrics, to `Authorization: Bearer <METRICS_TOKEN>`; 401 without a token, 403
    with a wrong one or while METRICS_TOKEN is unset."""
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse("Metrics are off: set METRICS_TOKEN.\n", status=403)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        response = HttpResponse("Send Authorization: Bearer <METRICS_TOKEN>.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not hmac.compare_digest(given.encode(), token.encode()):
        return HttpResponse("Wrong metrics token.\n", status=403)
    return HttpResponse(generate_latest(_registry), content_type=CONTENT_TYPE_LATEST)
