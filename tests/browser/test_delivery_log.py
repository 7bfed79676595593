"""The delivery log fits a laptop's window, shows what each delivery was about, and a
delivery's page shows its attempts and redelivers it."""

import pytest
from selenium.webdriver.common.by import By

from tests.browser.helpers import (
    PASSWORD,
    click_and_load,
    horizontal_overflow,
    log_in,
    messages,
)
from tests.factories import ProgramFactory, StationFactory, WebhookFactory
from tests.webhook_helpers import drain_until_settled
from webhooks import services
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("operator", "op@example.com", PASSWORD)


def test_delivery_log_detail_and_redeliver(
    browser, live_server, operator, httpserver, settings, screenshot
):
    # given a push webhook whose receiver failed once, then answered, and a test event
    settings.WEBHOOKS_RETRY_DELAYS_S = []
    station = StationFactory(name="Radio Example")
    webhook = WebhookFactory(
        station=station,
        name="Scheduler with a rather long name",
        event_type="push",
        url=httpserver.url_for("/push"),
    )
    httpserver.expect_ordered_request("/push").respond_with_json({"error": "busy"}, status=503)
    program = ProgramFactory(station=station, title="Morning Show")
    drain_until_settled()
    failed = Delivery.objects.get()
    assert failed.status == DeliveryStatus.FAILED
    httpserver.expect_request("/push").respond_with_json({"ok": True})
    program.title = "Morning Show Live"
    program.save()
    services.webhook_send_test_event(webhook=webhook, actor=operator)
    drain_until_settled()
    log_in(browser, live_server)
    # when the operator opens the log
    browser.get(f"{live_server.url}/admin/webhooks/delivery/")
    # then it fits the window, with badges and the program each message is about
    assert horizontal_overflow(browser) == {"page": 0, "table": 0}
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 3
    text = browser.find_element(By.ID, "result_list").text
    assert "failed 503" in text and "delivered 200" in text and "test" in text
    assert f"program {program.pk} · create" in text and " UTC" in text and "just now" in text
    screenshot("04-delivery-log")
    # when the operator opens the failed delivery
    click_and_load(browser, browser.find_element(By.LINK_TEXT, str(failed.pk)))
    detail = browser.find_element(By.ID, "delivery-detail")
    assert "HTTP 503" in detail.text and '"error": "busy"' in detail.text
    assert browser.find_elements(By.CSS_SELECTOR, "#attempt-1 .sh-headers th")
    assert (
        browser.find_element(By.LINK_TEXT, f"program {program.pk} · create")
        .get_attribute("href")
        .endswith(f"/admin/stations/program/{program.pk}/change/")
    )
    # and redelivers it
    click_and_load(browser, browser.find_element(By.ID, "redeliver"))
    assert "Delivery queued again." in messages(browser)
    browser.refresh()
    assert "#2" in browser.find_element(By.ID, "attempt-2").text
    assert "Redelivered by an operator" in browser.find_element(By.ID, "delivery-detail").text
    screenshot("04-delivery-detail")
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.DELIVERED and failed.attempt_count == 2
