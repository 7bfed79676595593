"""Delivery latency per hour: the engine counts each delivered delivery's latency in the
hourly stats' histogram, and the dashboard reads p50 and p95 back as bucket bounds."""

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from werkzeug import Response

from tests.factories import WebhookFactory
from tests.webhook_helpers import TRACK_PAYLOAD, drain_until_settled, publish_track_unqueued
from webhooks.choices import DeliveryStatus
from webhooks.event_types import NEWTRACK
from webhooks.latency import (
    LATENCY_BUCKETS_S,
    LATENCY_COLUMNS,
    bucket_index,
    delivery_latency_s,
    latency_histogram,
    latency_percentile_s,
)
from webhooks.models import Delivery, DeliveryStat
from webhooks.publish import publish
from webhooks.selectors import hourly_outcomes
from webhooks.stats import count_outcomes

EMPTY = [0] * len(LATENCY_COLUMNS)


def histogram(**counts: int) -> list[int]:
    return [counts.get(name, 0) for name in LATENCY_COLUMNS]


def test_the_stats_have_one_column_per_bucket_and_the_open_one():
    fields = [f.name for f in DeliveryStat._meta.fields if f.name.startswith("latency_")]
    assert fields == list(LATENCY_COLUMNS)
    assert len(LATENCY_COLUMNS) == len(LATENCY_BUCKETS_S) + 1
    assert LATENCY_COLUMNS[0] == "latency_le_0_05" and LATENCY_COLUMNS[-1] == "latency_over_1800"


def test_a_latency_counts_in_the_first_bucket_it_does_not_exceed():
    assert [bucket_index(s) for s in (0, 0.05, 0.051, 1, 1.5, 1800, 1800.1, 86400)] == [
        0,
        0,
        1,
        4,
        5,
        11,
        12,
        12,
    ]
    assert latency_histogram([0.01, 0.2, 0.2, 7, 4000]) == histogram(
        latency_le_0_05=1, latency_le_0_25=2, latency_le_10=1, latency_over_1800=1
    )


def test_latency_runs_from_first_due_to_the_answer_and_is_never_negative():
    due = datetime(2026, 1, 26, 14, tzinfo=UTC)
    assert delivery_latency_s(due_at=due, answered_at=due + timedelta(seconds=7.5)) == 7.5
    assert delivery_latency_s(due_at=due, answered_at=due - timedelta(seconds=1)) == 0.0


def test_an_hour_without_deliveries_has_no_percentile():
    assert latency_percentile_s(EMPTY, 50) is None
    assert latency_percentile_s(EMPTY, 95) is None


def test_all_in_one_bucket_gives_its_upper_bound():
    counts = histogram(latency_le_0_5=40)
    assert latency_percentile_s(counts, 50) == latency_percentile_s(counts, 95) == 0.5


def test_percentiles_are_the_smallest_bound_holding_that_share():
    # 19 of 20 within 0.1 s: p95 is 0.1 s exactly at the boundary, p96 the next bucket
    counts = histogram(latency_le_0_1=19, latency_le_30=1)
    assert latency_percentile_s(counts, 50) == 0.1
    assert latency_percentile_s(counts, 95) == 0.1
    assert latency_percentile_s(counts, 96) == 30
    # half and half: p50 is the lower bucket, anything above it the upper
    counts = histogram(latency_le_1=1, latency_le_5=1)
    assert (latency_percentile_s(counts, 50), latency_percentile_s(counts, 51)) == (1, 5)


def test_the_open_top_bucket_reads_as_the_last_bound():
    counts = histogram(latency_le_1=10, latency_over_1800=10)
    assert latency_percentile_s(counts, 50) == 1
    assert latency_percentile_s(counts, 95) == 1800
    assert latency_percentile_s(histogram(latency_over_1800=3), 50) == 1800


def test_a_percentile_out_of_range_is_refused():
    with pytest.raises(ValueError):
        latency_percentile_s(histogram(latency_le_1=1), 0)
    with pytest.raises(ValueError):
        latency_percentile_s(histogram(latency_le_1=1), 101)


@given(st.lists(st.floats(min_value=0, max_value=10_000), min_size=1), st.integers(1, 100))
def test_a_percentile_bounds_at_least_that_share_of_the_latencies(latencies, percent):
    bound = latency_percentile_s(latency_histogram(latencies), percent)
    within = sum(1 for s in latencies if s <= bound)
    if bound < LATENCY_BUCKETS_S[-1]:
        assert within * 100 >= percent * len(latencies)
        smaller = [b for b in LATENCY_BUCKETS_S if b < bound]
        if smaller:  # and the next smaller bound would not
            assert sum(1 for s in latencies if s <= smaller[-1]) * 100 < percent * len(latencies)
    else:  # that share took the last bound or more
        assert sum(1 for s in latencies if s > LATENCY_BUCKETS_S[-2]) * 100 > (
            (100 - percent) * len(latencies)
        )


@pytest.mark.django_db
def test_the_engine_counts_each_delivered_latency_in_its_hour(httpserver, settings):
    # given a receiver that answers 503 once, then 200, for one webhook, and a second
    # webhook whose receiver refuses; the first one's two deliveries and a test event
    # were due 7 s ago
    settings.WEBHOOKS_RETRY_DELAYS_S = [0]
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    refused = WebhookFactory(url=httpserver.url_for("/refused"), station=webhook.station)
    answered = []

    def busy_once(request):
        answered.append(request)
        return Response("busy", status=503) if len(answered) == 1 else Response("ok")

    httpserver.expect_request("/hook").respond_with_handler(busy_once)
    httpserver.expect_request("/refused").respond_with_data("no", status=404)
    late = [publish_track_unqueued(webhook), publish_track_unqueued(webhook)]
    publish_track_unqueued(refused)
    test_event = publish(
        station=webhook.station,
        event_type=NEWTRACK.name,
        payload=TRACK_PAYLOAD,
        webhooks=[webhook],
        is_test=True,
        queue_work=False,
    )
    Delivery.objects.filter(event__in=[*late, test_event]).update(
        scheduled_at=timezone.now() - timedelta(seconds=7)
    )
    # when workers drain it all (one delivery is retried, then delivered)
    drain_until_settled()
    # then both delivered ones count in the 5-10 s bucket, however many attempts they took
    # (and the test event not at all); the refused one counts as failed with no latency
    assert test_event.deliveries.get().status == DeliveryStatus.DELIVERED
    stat = DeliveryStat.objects.get(webhook=webhook)
    assert (stat.delivered, stat.failed, stat.retried) == (2, 0, 1)
    assert [getattr(stat, name) for name in LATENCY_COLUMNS] == histogram(latency_le_10=2)
    refused_stat = DeliveryStat.objects.get(webhook=refused)
    assert refused_stat.failed == 1
    assert [getattr(refused_stat, name) for name in LATENCY_COLUMNS] == EMPTY
    # and the hour reads back as p50 = p95 = 10 s; the hours before have none
    hourly = hourly_outcomes(now=timezone.now(), webhook=webhook)
    assert (hourly[-1]["latency_p50_s"], hourly[-1]["latency_p95_s"]) == (10, 10)
    assert {h["latency_p50_s"] for h in hourly[:-1]} == {None}


@pytest.mark.django_db
def test_hourly_latency_adds_up_across_batches_and_webhooks(httpserver):
    # given two webhooks of one station, each with one quick delivery this hour, and an
    # earlier row of the same hour written before latencies were counted
    httpserver.expect_request("/hook").respond_with_data("ok")
    first = WebhookFactory(url=httpserver.url_for("/hook"))
    second = WebhookFactory(url=httpserver.url_for("/hook"), station=first.station)
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    DeliveryStat.objects.create(
        webhook=second, station=first.station, hour=hour, delivered=3, latency_le_60=3
    )
    for webhook in (first, second):
        publish_track_unqueued(webhook)
    # when
    drain_until_settled()
    # then the station's hour sums both webhooks' histograms: 1 quick of 2 for `first`...
    assert sum(getattr(DeliveryStat.objects.get(webhook=first), n) for n in LATENCY_COLUMNS) == 1
    station_hour = hourly_outcomes(now=timezone.now(), station=first.station)[-1]
    assert station_hour["delivered"] == 5
    # ...and of five deliveries three took up to 60 s: p50 = 60 s, p95 = 60 s
    assert (station_hour["latency_p50_s"], station_hour["latency_p95_s"]) == (60, 60)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_recorders_never_lose_a_count():
    # given one webhook's hour that eight workers record into at once
    webhook = WebhookFactory()
    now = timezone.now()
    batches, threads_n = 20, 8
    errors = []
    start = threading.Barrier(threads_n)

    def record_batches():
        try:
            start.wait(10)
            for _ in range(batches):
                with transaction.atomic():
                    count_outcomes(
                        station_of={webhook.pk: webhook.station_id},
                        delivered=Counter({webhook.pk: 2}),
                        failed=Counter(),
                        retried=Counter({webhook.pk: 1}),
                        latencies_s={webhook.pk: [0.2, 40]},
                        now=now,
                    )
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=record_batches) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # then every increment is there
    assert errors == []
    stat = DeliveryStat.objects.get()
    total = batches * threads_n
    assert (stat.delivered, stat.retried) == (2 * total, total)
    assert [getattr(stat, name) for name in LATENCY_COLUMNS] == histogram(
        latency_le_0_25=total, latency_le_60=total
    )
