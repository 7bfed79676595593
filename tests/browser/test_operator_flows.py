"""The main operator flows in a real browser, against a live server and a real receiver."""

import json
from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from stations.models import Program
from tests.browser.helpers import (
    PASSWORD,
    click_and_load,
    horizontal_overflow,
    log_in,
    messages,
    wait_for,
)
from tests.factories import (
    BroadcastFactory,
    ContactFactory,
    ProgramFactory,
    StationFactory,
    StreamFactory,
    WebhookFactory,
)
from tests.webhook_helpers import drain_until_settled, publish_track_unqueued
from webhooks.admin.charts import LATENCY_LINES
from webhooks.latency import LATENCY_COLUMNS, latency_histogram
from webhooks.models import AlertPolicy, Delivery, DeliveryStat, ResyncJob, Webhook

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("operator", "op@example.com", PASSWORD)


def _run_action(browser, action: str, pk: int) -> None:
    browser.find_element(By.CSS_SELECTOR, f"input.action-select[value='{pk}']").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value(action)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "button[name=index]"))


def test_create_webhook_send_test_event_and_inspect_the_log(
    browser, live_server, operator, httpserver, screenshot
):
    # given
    station = StationFactory(name="Radio Example")
    httpserver.expect_request("/hook").respond_with_data("thanks", status=200)
    log_in(browser, live_server, screenshot)
    # when the operator adds a webhook
    browser.get(f"{live_server.url}/admin/webhooks/webhook/add/")
    Select(browser.find_element(By.ID, "id_station")).select_by_visible_text(station.name)
    browser.find_element(By.ID, "id_name").send_keys("Website widget")
    browser.find_element(By.ID, "id_url").send_keys(httpserver.url_for("/hook"))
    Select(browser.find_element(By.ID, "id_event_type")).select_by_value("station.studio.newtrack")
    browser.find_element(By.ID, "id_new_key").send_keys("widget-key-0001")
    screenshot("02-add-webhook")
    click_and_load(browser, browser.find_element(By.NAME, "_continue"))
    webhook = Webhook.objects.get(name="Website widget")
    assert webhook.secret in messages(browser)  # shown once
    # and sends a test event from its page
    click_and_load(browser, browser.find_element(By.ID, "send-test-event"))
    shown = messages(browser)
    assert "HTTP 200" in shown and "Response: thanks" in shown
    screenshot("03-test-event")
    # then the receiver got it, signed
    request, _ = httpserver.log[0]
    assert request.headers["api-key"] == "widget-key-0001"
    assert json.loads(request.get_data())["event"] == "station.studio.newtrack"
    # and the delivery log shows it with its attempt
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "a[href*=webhook__id__exact]"))
    delivery = Delivery.objects.get()
    click_and_load(browser, browser.find_element(By.LINK_TEXT, str(delivery.pk)))
    page = browser.page_source
    assert delivery.event.message_id in page and "thanks" in page and "delivered" in page
    screenshot("04-delivery-detail")


def test_manual_resync_with_a_date_window(browser, live_server, operator, httpserver, screenshot):
    # given a push webhook and station data
    station = StationFactory(name="Radio Example")
    ContactFactory.create_batch(3, station=station)
    httpserver.expect_request("/push").respond_with_data("ok")
    webhook = WebhookFactory(
        station=station, name="Scheduler", event_type="push", url=httpserver.url_for("/push")
    )
    log_in(browser, live_server, screenshot)
    # when the operator starts a resync with a window
    browser.get(f"{live_server.url}/admin/webhooks/webhook/")
    _run_action(browser, "manual_resync", webhook.pk)
    for field, value in [("start", "2026-02-02T00:00"), ("end", "2026-02-09T00:00")]:
        picker = browser.find_element(By.ID, f"id_window_{field}")  # the browser's own
        browser.execute_script("arguments[0].value = arguments[1]", picker, value)
    screenshot("05-resync-form")
    click_and_load(browser, browser.find_element(By.ID, "resync-start"))
    # then the job list shows it finished, and the receiver got the messages
    assert "Resync of Scheduler started." in messages(browser)
    assert "3 / 3 (100 %)" in browser.page_source
    screenshot("06-resync-done")
    job = ResyncJob.objects.get()
    assert job.status == ResyncJob.Status.DONE and job.started_by.username == "operator"
    received = [json.loads(request.get_data()) for request, _ in httpserver.log]
    assert len(received) == 3 and {m["resync"] for m in received} == {True}


def _box(browser, selector: str) -> dict:
    return browser.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};",
        selector,
    )


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and (b["top"] < a["bottom"])
    )


# Where Chart.js placed the 24-hour chart's parts, in the canvas's pixels: plot area,
# axes, legend and its entries, the latency lines' drawn points and their gaps.
CHART_LAYOUT_JS = """
const chart = Chart.getChart(document.querySelector(".sh-chart canvas"));
const box = (b) => ({left: b.left, right: b.right, top: b.top, bottom: b.bottom});
const lines = chart.data.datasets
    .map((dataset, n) => [dataset, chart.getDatasetMeta(n)])
    .filter(([dataset]) => dataset.type === "line");
const latency = chart.scales.latency;
return {
    width: chart.width,
    height: chart.height,
    area: box(chart.chartArea),
    x: box(chart.scales.x),
    y: box(chart.scales.y),
    latency: box(latency),
    labelled_ticks: latency.ticks
        .map((tick, n) => [tick.label, latency.getPixelForTick(n)])
        .filter(([label]) => label !== "" && label !== undefined),
    legend: box(chart.legend),
    legend_texts: chart.legend.legendItems.map((item) => item.text),
    legend_entries: chart.legend.legendHitBoxes.map((hit) => ({
        left: hit.left, right: hit.left + hit.width, top: hit.top, bottom: hit.top + hit.height,
    })),
    points: lines.map(([dataset, meta]) => meta.data
        .filter((point, n) => dataset.data[n] !== null)
        .map((point) => ({x: point.x, y: point.y}))),
    gaps: lines.map(([dataset, meta]) => meta.data.filter((point) => point.skip).length),
};
"""


def _within(inner: dict, outer: dict, slack_px: float = 0.5) -> bool:
    return (
        outer["left"] - slack_px <= inner["left"] <= inner["right"] <= outer["right"] + slack_px
        and outer["top"] - slack_px <= inner["top"] <= inner["bottom"] <= outer["bottom"] + slack_px
    )


def test_dashboard_with_traffic(browser, live_server, operator, httpserver, settings, screenshot):
    # given real deliveries this hour (8 delivered, 2 failed) and the stats of earlier hours,
    # with latencies from 40 ms to 22 s; every third hour has none (a gap in the lines)
    settings.WEBHOOKS_RETRY_DELAYS_S = []
    station = StationFactory(name="Radio Example")
    widget = WebhookFactory(station=station, name="Website widget", url=httpserver.url_for("/ok"))
    flaky = WebhookFactory(station=station, name="Discord relay", url=httpserver.url_for("/no"))
    httpserver.expect_request("/ok").respond_with_data("ok")
    httpserver.expect_request("/no").respond_with_data("busy", status=503)
    for _ in range(8):
        publish_track_unqueued(widget)
    for _ in range(2):
        publish_track_unqueued(flaky)
    drain_until_settled()
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    for back, (delivered, failed, retried) in enumerate([(0, 0, 0), (12, 1, 2), (20, 0, 1)] * 7):
        if back and delivered:
            latencies_s = [0.04 + back % 3 / 100] * (delivered - 4) + [0.3, 0.7, 1.5, 2 + back]
            DeliveryStat.objects.create(
                webhook=widget if back % 2 else flaky,
                station=station,
                hour=hour - timedelta(hours=back),
                delivered=delivered,
                failed=failed,
                retried=retried,
                **dict(zip(LATENCY_COLUMNS, latency_histogram(latencies_s), strict=True)),
            )
    hours_delivered = 1 + DeliveryStat.objects.filter(delivered__gt=0, hour__lt=hour).count()
    log_in(browser, live_server, screenshot)
    # then the chart is drawn, inside its card, over nothing else
    wait_for(browser, lambda: _box(browser, ".sh-chart canvas")["bottom"] > 0)
    chart, card = _box(browser, ".sh-chart"), _box(browser, f"#station-{station.pk} .sh-card")
    assert card["left"] <= chart["left"] and chart["right"] <= card["right"]
    for neighbour in (f"#webhooks-{station.pk}", f"#streams-{station.pk}"):
        assert not _overlap(chart, _box(browser, neighbour))
    assert horizontal_overflow(browser)["page"] == 0
    # and its latency axis sits right of the plot, the counts' axis left, neither over it
    wait_for(browser, lambda: browser.execute_script(CHART_LAYOUT_JS)["legend_texts"])
    layout = browser.execute_script(CHART_LAYOUT_JS)
    canvas = {"left": 0, "right": layout["width"], "top": 0, "bottom": layout["height"]}
    assert layout["y"]["right"] <= layout["area"]["left"]
    assert layout["area"]["right"] <= layout["latency"]["left"]
    assert _within(layout["latency"], canvas) and _within(layout["y"], canvas)
    ticks = [pixel for _label, pixel in layout["labelled_ticks"]]
    assert len(ticks) >= 2 and all(abs(a - b) >= 12 for a, b in pairwise(ticks))
    # and each line has a point for every hour with deliveries, inside the plot, and a gap
    # for every hour without
    for points, gaps in zip(layout["points"], layout["gaps"], strict=True):
        assert len(points) == hours_delivered and gaps == 24 - hours_delivered
        assert all(
            layout["area"]["left"] <= p["x"] <= layout["area"]["right"]
            and layout["area"]["top"] - 1 <= p["y"] <= layout["area"]["bottom"] + 1
            for p in points
        )
    # and the legend names bars and lines, below the hour labels, its entries side by side
    lines = {label for _key, label, _colour, _dash in LATENCY_LINES}
    assert set(layout["legend_texts"]) == {"delivered", "failed", "retried"} | lines
    assert layout["x"]["bottom"] <= layout["legend"]["top"] and _within(layout["legend"], canvas)
    entries = layout["legend_entries"]
    assert all(_within(entry, canvas) for entry in entries)
    assert not any(_overlap(a, b) for n, a in enumerate(entries) for b in entries[n + 1 :])
    # and the day's totals and percentiles below the canvas, inside the card
    legend, latency_text = _box(browser, ".sh-legend"), _box(browser, ".sh-latency")
    assert chart["bottom"] <= legend["top"] and _within(legend, card)
    assert _within(latency_text, legend)
    assert "p95 latency" in browser.find_element(By.CSS_SELECTOR, ".sh-legend").text
    # and the counts per webhook, each sparkline opening its delivery log
    table = browser.find_element(By.ID, f"webhooks-{station.pk}").text
    assert "Website widget" in table and "Discord relay" in table
    screenshot("07-dashboard")
    click_and_load(
        browser, browser.find_element(By.CSS_SELECTOR, f"#webhooks-{station.pk} a.sh-sparkline")
    )
    assert "webhook__id__exact=" in browser.current_url


def _assert_picker_fits(browser) -> None:
    """The "Notify webhooks" picker (two boxes, the arrows and the related-object menu)
    stays inside its form and the window: no horizontal scrollbar."""
    picker = _box(browser, ".field-contacts .related-widget-wrapper")
    form = _box(browser, "fieldset.module")
    assert form["left"] <= picker["left"] and picker["right"] <= form["right"]
    assert form["right"] <= browser.execute_script("return document.documentElement.clientWidth")
    assert horizontal_overflow(browser)["page"] == 0


def test_create_an_alert_policy(browser, live_server, operator, screenshot):
    # given a station with a stream and a stream alert contact
    station = StationFactory(name="Radio Example")
    StreamFactory(station=station, name="Stream 1")
    WebhookFactory(station=station, name="Pager", event_type="stream.alert")
    log_in(browser, live_server, screenshot)
    # when the operator adds a policy for all streams with a grace period
    browser.get(f"{live_server.url}/admin/webhooks/alertpolicy/add/")
    Select(browser.find_element(By.ID, "id_station")).select_by_visible_text(station.name)
    browser.find_element(By.ID, "id_name").send_keys("Night pager")
    Select(browser.find_element(By.ID, "id_condition")).select_by_value("all")
    grace = browser.find_element(By.ID, "id_grace_minutes")
    grace.clear()
    grace.send_keys("5")
    Select(browser.find_element(By.ID, "id_contacts_from")).select_by_visible_text("Pager")
    browser.find_element(By.ID, "id_contacts_add").click()
    _assert_picker_fits(browser)
    screenshot("08-alert-policy")
    click_and_load(browser, browser.find_element(By.NAME, "_save"))
    # then
    assert "was added successfully" in messages(browser)
    policy = AlertPolicy.objects.get(name="Night pager")
    assert policy.condition == "all" and policy.grace_minutes == 5
    assert [w.name for w in policy.contacts.all()] == ["Pager"]
    assert "all streams" in browser.page_source


def test_soft_delete_says_what_happens_and_recover_brings_it_back(
    browser, live_server, operator, screenshot
):
    # given a program three broadcasts point at
    station = StationFactory(name="Radio Example")
    program = ProgramFactory(station=station, title="Morning Show")
    BroadcastFactory.create_batch(3, station=station, program=program)
    log_in(browser, live_server)
    # when the operator deletes it from its page
    browser.get(f"{live_server.url}/admin/stations/program/{program.pk}/delete/")
    effects = browser.find_element(By.ID, "soft-delete").text
    assert "Recoverable." in effects and "delete message" in effects
    assert "Morning Show: 3 broadcasts still point at it" in effects
    screenshot("12-soft-delete")
    click_and_load(browser, browser.find_element(By.ID, "confirm-delete"))
    assert "soft: recoverable" in messages(browser)
    # then its page is read-only, with Recover
    browser.get(f"{live_server.url}/admin/stations/program/{program.pk}/change/")
    assert "is deleted" in browser.find_element(By.ID, "deleted-note").text
    assert not browser.find_elements(By.NAME, "_save")
    screenshot("13-deleted-program")
    click_and_load(browser, browser.find_element(By.ID, "recover"))
    assert "Recovered “Morning Show”." in messages(browser)
    assert browser.find_elements(By.NAME, "_save")
    assert not Program.all_objects.get(pk=program.pk).is_deleted


def test_an_alert_policy_with_no_recipient_is_flagged(browser, live_server, operator, screenshot):
    # given a station with a stream, and no stream alert webhook yet
    station = StationFactory(name="Radio Example")
    StreamFactory(station=station, name="Stream 1")
    log_in(browser, live_server)
    # when the operator opens a new policy: the empty picker links to adding a webhook
    browser.get(f"{live_server.url}/admin/webhooks/alertpolicy/add/")
    link = browser.find_element(By.LINK_TEXT, "add a stream alert webhook")
    assert link.get_attribute("href").endswith(
        "/admin/webhooks/webhook/add/?event_type=stream.alert"
    )
    Select(browser.find_element(By.ID, "id_station")).select_by_visible_text(station.name)
    browser.find_element(By.ID, "id_name").send_keys("Nobody hears")
    click_and_load(browser, browser.find_element(By.NAME, "_continue"))
    # then the save and the page say that its alerts reach nobody
    assert "alerts reach nobody" in messages(browser)
    assert "No notify webhook" in browser.find_element(By.ID, "no-recipient").text
    # and the change page's picker fits the window
    _assert_picker_fits(browser)
    screenshot("11-alert-policy-no-recipient")
