"""The dashboard and the webhook page read hourly outcome stats the engine keeps."""

import html as html_escapes
import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.factories import StationFactory, StreamFactory, WebhookFactory
from tests.webhook_helpers import drain_until_settled, publish_track
from webhooks.admin.charts import bar_chart, outcome_chart
from webhooks.event_types import STREAM_ALERT
from webhooks.latency import LATENCY_BUCKETS_S
from webhooks.models import DeliveryStat, ResyncJob
from webhooks.publish import publish
from webhooks.resync import start_resync
from webhooks.selectors import hourly_outcomes

pytestmark = pytest.mark.django_db


def test_bar_chart_stacks_outcomes_scaled_to_the_busiest_hour():
    hour = datetime(2026, 1, 26, 14, tzinfo=UTC)
    hourly = [
        {"hour": hour, "delivered": 6, "failed": 2, "retried": 0},
        {"hour": hour, "delivered": 0, "failed": 0, "retried": 0},
        {"hour": hour, "delivered": 2, "failed": 0, "retried": 2},
    ]
    bars = bar_chart(hourly, width=300, height=100)
    assert [(b.x, b.height, b.colour) for b in bars] == [
        (10.0, 75.0, "#2e7d32"),
        (10.0, 25.0, "#c62828"),
        (210.0, 25.0, "#2e7d32"),
        (210.0, 25.0, "#e0a800"),
    ]
    assert bars[1].y == 0.0 and bars[0].y == 25.0  # stacked from the baseline up
    assert bars[0].title == "14:00 UTC: 6 delivered"


def _chart_data(page_html: str) -> dict:
    """The 24-hour chart's Chart.js data, as the theme's script reads it."""
    value = re.search(r'<canvas class="chart"[^>]* data-value="([^"]*)"', page_html).group(1)
    return json.loads(html_escapes.unescape(value))


def test_outcome_chart_draws_latency_lines_on_their_own_axis_with_gaps():
    # given an hour with deliveries, one with failures only and one with nothing
    hour = datetime(2026, 1, 26, 14, tzinfo=UTC)
    hourly = [
        {"hour": hour, "delivered": 9, "failed": 1, "retried": 0}
        | {"latency_p50_s": 0.1, "latency_p95_s": 2.5},
        {"hour": hour + timedelta(hours=1), "delivered": 0, "failed": 3, "retried": 2}
        | {"latency_p50_s": None, "latency_p95_s": None},
        {"hour": hour + timedelta(hours=2), "delivered": 0, "failed": 0, "retried": 0}
        | {"latency_p50_s": None, "latency_p95_s": None},
    ]
    # when
    chart = outcome_chart(hourly, tz=ZoneInfo("Europe/Berlin"))
    data, options = json.loads(chart["data"]), json.loads(chart["options"])
    # then the hour labels are local, the bars stack on the left axis...
    assert data["labels"] == ["15:00", "16:00", "17:00"]
    bars = {d["label"]: d for d in data["datasets"] if d["type"] == "bar"}
    assert bars["delivered"]["data"] == [9, 0, 0] and bars["failed"]["yAxisID"] == "y"
    # ...and p50/p95 are lines on the right, log axis of seconds, null (a gap) with no delivery
    lines = {d["label"]: d for d in data["datasets"] if d["type"] == "line"}
    assert lines["p50 latency (s)"]["data"] == [0.1, None, None]
    assert lines["p95 latency (s)"]["data"] == [2.5, None, None]
    assert {d["yAxisID"] for d in lines.values()} == {"latency"}
    assert {d["spanGaps"] for d in lines.values()} == {False}
    assert lines["p95 latency (s)"]["borderDash"] and not lines["p50 latency (s)"]["borderDash"]
    axis = options["scales"]["latency"]
    assert (axis["type"], axis["position"]) == ("logarithmic", "right")
    assert axis["title"]["text"] == "latency (s, log scale)"
    assert options["plugins"]["legend"]["display"] is True


def test_dashboard_chart_shows_the_hours_latency_percentiles(admin_client):
    # given a station's webhooks with latencies this hour and three hours ago
    station = StationFactory(name="Example FM")
    fast, slow = WebhookFactory(station=station), WebhookFactory(station=station)
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    DeliveryStat.objects.create(
        webhook=fast, station=station, hour=hour, delivered=18, latency_le_0_1=18
    )
    DeliveryStat.objects.create(
        webhook=slow, station=station, hour=hour, delivered=2, failed=1, latency_le_30=2
    )
    DeliveryStat.objects.create(
        webhook=slow,
        station=station,
        hour=hour - timedelta(hours=3),
        delivered=4,
        latency_le_1=3,
        latency_over_1800=1,
    )
    # when
    page = admin_client.get(reverse("admin:index")).content.decode()
    # then the lines hold each hour's percentiles over both webhooks, gaps elsewhere
    lines = {d["label"]: d["data"] for d in _chart_data(page)["datasets"] if d["type"] == "line"}
    p50, p95 = lines["p50 latency (s)"], lines["p95 latency (s)"]
    assert (p50[-1], p95[-1]) == (0.1, 30)  # 18 of 20 within 0.1 s, all within 30 s
    assert (p50[-4], p95[-4]) == (1, 1800)  # 1 in 4 took 30 min or more
    assert set(p50[:-4] + p50[-3:-1]) == {None}
    # and the legend below gives the whole day's
    assert "p50 latency 0.1 s" in page and "p95 latency 30 s" in page


def test_engine_counts_outcomes_per_webhook_and_hour(httpserver, settings, capture_on_commit):
    settings.WEBHOOKS_RETRY_DELAYS_S = [0]
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    httpserver.expect_ordered_request("/hook").respond_with_data("ok")
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=503)
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=503)
    publish_track(webhook, capture_on_commit)
    publish_track(webhook, capture_on_commit)
    drain_until_settled()
    stat = DeliveryStat.objects.get()
    assert (stat.delivered, stat.failed, stat.retried) == (1, 1, 1)
    hourly = hourly_outcomes(now=timezone.now(), webhook=webhook)
    assert len(hourly) == 24
    this_hour = hourly[-1]
    assert (this_hour["delivered"], this_hour["failed"], this_hour["retried"]) == (1, 1, 1)
    # one delivered: its latency's bucket is both percentiles
    assert this_hour["latency_p50_s"] == this_hour["latency_p95_s"] in LATENCY_BUCKETS_S


def test_dashboard_shows_each_station(
    admin_client, admin_user, httpserver, settings, capture_on_commit, django_assert_max_num_queries
):
    # given a station with a failing, a disabled and a healthy webhook and a running resync
    settings.WEBHOOKS_RETRY_DELAYS_S = []
    station = StationFactory(name="Example FM")
    failing = WebhookFactory(station=station, name="Website", url=httpserver.url_for("/hook"))
    WebhookFactory(station=station, name="Old widget", enabled=False, disabled_reason="Gone away.")
    push = WebhookFactory(station=station, name="Scheduler", event_type="push")
    httpserver.expect_request("/hook").respond_with_data("nope", status=500)
    publish_track(failing, capture_on_commit)
    start_resync(
        webhook=push,
        started_by=admin_user,
        window_start=timezone.now(),
        window_end=timezone.now() + timedelta(days=1),
    )
    StreamFactory(station=station, name="Stream 1", is_up=False, last_check_reason="HTTP 404")
    publish(
        station=station,
        event_type=STREAM_ALERT.name,
        payload={"summary": "Example FM Alert: Stream 1 is down"},
        webhooks=[WebhookFactory(station=station, event_type=STREAM_ALERT.name)],
        queue_work=False,
    )
    StationFactory(name="Quiet Radio")
    # when
    with django_assert_max_num_queries(18):
        page = admin_client.get(reverse("admin:index"))
    # then
    html = page.content.decode()
    assert "Example FM" in html and "Quiet Radio" in html
    assert "Website</a>:" in html and "HTTP 500" in html
    assert "Old widget</a>: Gone away." in html
    assert "Scheduler</a>: queued, 0 / 0" in html
    assert "Stream 1</a>: down since" in html and "(HTTP 404)" in html
    assert "Example FM Alert: Stream 1 is down" in html and "to 0 of 1 webhook" in html
    assert "failed 1" in html and 'data-type="bar"' in html
    assert ResyncJob.objects.count() == 1


def test_the_admin_opens_on_the_dashboard(admin_client):
    page = admin_client.get("/", follow=True)
    assert page.redirect_chain[-1][0] == reverse("admin:index") == "/admin/"
    assert "No stations yet" in page.content.decode()


def test_webhook_page_chart_and_send_test_button(admin_client, httpserver, capture_on_commit):
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("thanks, got it")
    publish_track(webhook, capture_on_commit)
    page = admin_client.get(reverse("admin:webhooks_webhook_change", args=[webhook.pk]))
    assert 'aria-label="Outcomes per hour, last 24 hours"' in page.content.decode()
    response = admin_client.post(
        reverse("admin:webhooks_webhook_send_test", args=[webhook.pk]), follow=True
    )
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("HTTP 200" in m and "Response: thanks, got it" in m for m in shown)


def test_dashboard_counts_per_webhook_with_sparklines_to_its_log(admin_client):
    # given two webhooks with traffic in the last hours, and one without
    station = StationFactory(name="Example FM")
    busy = WebhookFactory(station=station, name="Busy")
    quiet = WebhookFactory(station=station, name="Quiet")
    WebhookFactory(station=station, name="Idle")
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    DeliveryStat.objects.create(webhook=busy, station=station, hour=hour, delivered=7, failed=2)
    DeliveryStat.objects.create(
        webhook=busy, station=station, hour=hour - timedelta(hours=3), delivered=3, retried=1
    )
    DeliveryStat.objects.create(webhook=quiet, station=station, hour=hour, delivered=1)
    # when
    html = admin_client.get(reverse("admin:index")).content.decode()
    # then: busiest first, summed over 24 hours, each sparkline opening its delivery log
    table = html.split('id="webhooks-')[1].split("</table>")[0]
    assert table.index("Busy") < table.index("Quiet") < table.index("Idle")
    assert "<td>10</td>\n        <td>2</td>\n        <td>1</td>" in table
    log = reverse("admin:webhooks_delivery_changelist")
    assert f'href="{log}?webhook__id__exact={busy.pk}"' in table
    assert 'aria-label="Outcomes per hour, last 24 hours"' in table


def test_dashboard_empty_states_say_what_to_do_next(admin_client):
    StationFactory(name="Example FM")
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "No deliveries in the last 24 hours." in html
    assert "No enabled webhook." in html and reverse("admin:webhooks_webhook_add") in html
    assert "No stream is monitored." in html and reverse("admin:stations_stream_add") in html
    assert "No stream alert sent yet." in html
    assert "None running. A push webhook's page starts one" in html


def test_resyncs_card_reloads_itself_while_one_runs(admin_client, admin_user):
    # given a running resync
    station = StationFactory(name="Example FM")
    push = WebhookFactory(station=station, name="Scheduler", event_type="push")
    job = start_resync(
        webhook=push,
        started_by=admin_user,
        window_start=timezone.now(),
        window_end=timezone.now() + timedelta(days=1),
    )
    card = reverse("admin:dashboard_resyncs", args=[station.pk])
    # then the dashboard's card polls its own URL, which renders the card alone
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert f'hx-get="{card}" hx-trigger="every 3s"' in html
    fragment = admin_client.get(card).content.decode()
    assert fragment.lstrip().startswith("<div") and "Scheduler</a>: queued, 0 / 0" in fragment
    assert "hx-get" in fragment
    # and once the job is done, the card it gets has no trigger: the polling stops
    ResyncJob.objects.filter(pk=job.pk).update(status=ResyncJob.Status.DONE)
    fragment = admin_client.get(card).content.decode()
    assert "hx-get" not in fragment and "None running" in fragment


def test_resyncs_card_of_another_operators_station_is_not_found(client, django_user_model):
    station = StationFactory()
    user = django_user_model.objects.create_user("op", password="pw-123456", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:dashboard_resyncs", args=[station.pk])).status_code == 404
