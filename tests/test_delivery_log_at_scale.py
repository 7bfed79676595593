"""The delivery log at scale: its pages cost the same queries however long the log is,
searches use indexed lookups only, and on PostgreSQL a large list is not counted row by
row. (bench/admin_scale.py times the same pages with a million deliveries.)"""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import StationFactory, WebhookFactory
from webhooks.admin.paginator import EstimatedCountPaginator
from webhooks.choices import DeliveryStatus
from webhooks.event_types import PUSH
from webhooks.models import Delivery
from webhooks.publish import publish

pytestmark = pytest.mark.django_db

DELIVERIES = reverse("admin:webhooks_delivery_changelist")
PAGES = [
    DELIVERIES,
    f"{DELIVERIES}?status__exact=pending",
    f"{DELIVERIES}?q=msg_unknown",
    f"{DELIVERIES}?q=12345",
    reverse("admin:index"),
    reverse("admin:webhooks_webhook_changelist"),
]


def publish_push(webhooks, *, job_id: int, model_id: int):
    return publish(
        station=webhooks[0].station,
        event_type=PUSH.name,
        payload={"action": "update", "model": "program", "model_id": model_id, "job_id": job_id},
        webhooks=webhooks,
        job_id=job_id,
        model_id=model_id,
        queue_work=False,
    )


def publish_many(webhooks, count: int, *, first_job_id: int) -> None:
    for n in range(count):
        publish_push(webhooks, job_id=first_job_id + n, model_id=7)


@pytest.fixture
def stations():
    return StationFactory(name="Own FM"), StationFactory(name="Other FM")


@pytest.fixture
def webhooks(stations):
    own, other = stations
    return {
        "own": [WebhookFactory(station=own, event_type="push", name=f"Own {n}") for n in range(2)],
        "other": [WebhookFactory(station=other, event_type="push", name="Other")],
    }


@pytest.fixture
def operator_client(client, django_user_model, stations):
    user = django_user_model.objects.create_user("operator", password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["stations", "webhooks"])
    )
    stations[0].operators.add(user)
    client.force_login(user)
    return client


def queries_of(client, url: str) -> int:
    """Queries of a GET of `url`, once per-process caches (content types) are warm."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def listed(client, url: str) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


@pytest.mark.parametrize("who", ["superuser", "operator"])
def test_pages_cost_the_same_queries_for_a_longer_log(who, admin_client, operator_client, webhooks):
    # given a short log
    client = admin_client if who == "superuser" else operator_client
    publish_many(webhooks["own"], 2, first_job_id=100)
    publish_many(webhooks["other"], 2, first_job_id=200)
    short = {url: queries_of(client, url) for url in PAGES}
    detail = reverse("admin:webhooks_delivery_change", args=[Delivery.objects.first().pk])
    short_detail = queries_of(client, detail)
    # when it grows tenfold
    publish_many(webhooks["own"], 20, first_job_id=1000)
    publish_many(webhooks["other"], 20, first_job_id=2000)
    # then every page still costs what it did
    assert {url: queries_of(client, url) for url in PAGES} == short
    assert queries_of(client, detail) == short_detail
    # and the list shows a full page of rows with their station and webhook
    page = client.get(DELIVERIES).content.decode()
    assert "Own 0" in page and "Own 1" in page and "Own FM" in page


def test_search_by_number_matches_job_id_model_id_or_delivery_id(
    admin_client, operator_client, webhooks
):
    # given events whose numbers overlap: 5001 is one's job_id and another's model_id
    first = publish_push(webhooks["own"], job_id=5001, model_id=61)
    second = publish_push(webhooks["own"][:1], job_id=5002, model_id=5001)
    other = publish_push(webhooks["other"], job_id=5001, model_id=62)
    publish_push(webhooks["own"], job_id=5003, model_id=63)
    first_ids = set(first.deliveries.values_list("pk", flat=True))
    second_ids = set(second.deliveries.values_list("pk", flat=True))
    other_ids = set(other.deliveries.values_list("pk", flat=True))
    a_delivery = min(first_ids)
    # then a number finds every delivery whose event has it as job_id or model_id
    assert listed(admin_client, f"{DELIVERIES}?q=5001") == first_ids | second_ids | other_ids
    assert listed(operator_client, f"{DELIVERIES}?q=5001") == first_ids | second_ids
    assert listed(admin_client, f"{DELIVERIES}?q=61") == first_ids
    # or the delivery with that id
    assert a_delivery in listed(admin_client, f"{DELIVERIES}?q={a_delivery}")
    # combined with a filter, and never anything else
    assert listed(admin_client, f"{DELIVERIES}?q=5001&status__exact=delivered") == set()
    assert listed(admin_client, f"{DELIVERIES}?q=99999999") == set()
    assert listed(admin_client, f"{DELIVERIES}?q={first.message_id}") == first_ids


@pytest.fixture
def analyzed_log(webhooks):
    """Eight pending deliveries, with the planner's statistics up to date."""
    publish_many(webhooks["own"], 4, first_job_id=100)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE webhooks_delivery")
    return Delivery.objects.order_by("-created_at")


def counting(queryset, *, above_rows: int, monkeypatch) -> tuple[int, list[str]]:
    """(the paginator's count, the SQL it ran) with ESTIMATE_ABOVE_ROWS = above_rows."""
    monkeypatch.setattr(EstimatedCountPaginator, "ESTIMATE_ABOVE_ROWS", above_rows)
    with CaptureQueriesContext(connection) as captured:
        count = EstimatedCountPaginator(queryset, 100).count
    return count, [query["sql"] for query in captured]


@pytest.mark.postgres
def test_the_whole_log_above_the_threshold_is_estimated_not_counted(analyzed_log, monkeypatch):
    count, sql = counting(analyzed_log, above_rows=3, monkeypatch=monkeypatch)
    assert count == 8  # reltuples, after ANALYZE
    assert not any("COUNT(" in statement for statement in sql)


@pytest.mark.postgres
def test_a_filtered_list_is_counted_exactly_up_to_the_threshold(analyzed_log, monkeypatch):
    pending = analyzed_log.filter(status=DeliveryStatus.PENDING)
    count, sql = counting(pending, above_rows=100, monkeypatch=monkeypatch)
    assert count == 8
    assert any("COUNT(" in statement and "LIMIT 101" in statement for statement in sql)
    assert not any(statement.startswith("EXPLAIN") for statement in sql)
    # a planner's overestimate never shows for a list below the threshold
    monkeypatch.setattr(EstimatedCountPaginator, "_planner_estimate", lambda self: 10**6)
    assert counting(pending, above_rows=100, monkeypatch=monkeypatch)[0] == 8


@pytest.mark.postgres
def test_a_filtered_list_above_the_threshold_shows_the_planners_estimate(analyzed_log, monkeypatch):
    pending = analyzed_log.filter(status=DeliveryStatus.PENDING)
    count, sql = counting(pending, above_rows=3, monkeypatch=monkeypatch)
    assert count == 8  # EXPLAIN's row estimate, after ANALYZE
    assert any("COUNT(" in statement and "LIMIT 4" in statement for statement in sql)
    assert any(statement.startswith("EXPLAIN (FORMAT JSON)") for statement in sql)
    # an underestimate never shows less than the rows counted
    monkeypatch.setattr(EstimatedCountPaginator, "_planner_estimate", lambda self: 2)
    assert counting(pending, above_rows=5, monkeypatch=monkeypatch)[0] == 6
