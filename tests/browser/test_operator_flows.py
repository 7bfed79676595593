"""The main operator flows in a real browser, against a live server and a real receiver."""

import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from stations.models import Program
from tests.browser.helpers import PASSWORD, click_and_load, log_in, messages
from tests.factories import (
    BroadcastFactory,
    ContactFactory,
    ProgramFactory,
    StationFactory,
    StreamFactory,
    WebhookFactory,
)
from webhooks.models import AlertPolicy, Delivery, ResyncJob, Webhook

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


def test_dashboard(browser, live_server, operator, screenshot):
    StationFactory(name="Radio Example")
    log_in(browser, live_server, screenshot)
    assert "Deliveries, last 24 h" in browser.page_source
    screenshot("07-dashboard")


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
    screenshot("09-soft-delete")
    click_and_load(browser, browser.find_element(By.ID, "confirm-delete"))
    assert "soft: recoverable" in messages(browser)
    # then its page is read-only, with Recover
    browser.get(f"{live_server.url}/admin/stations/program/{program.pk}/change/")
    assert "is deleted" in browser.find_element(By.ID, "deleted-note").text
    assert not browser.find_elements(By.NAME, "_save")
    screenshot("10-deleted-program")
    click_and_load(browser, browser.find_element(By.ID, "recover"))
    assert "Recovered “Morning Show”." in messages(browser)
    assert browser.find_elements(By.NAME, "_save")
    assert not Program.all_objects.get(pk=program.pk).is_deleted
