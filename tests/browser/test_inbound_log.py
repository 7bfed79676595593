"""The inbound log in a real browser: the requests a source sent (accepted, forged,
repeated) fit the window with their answers, and a request's page shows its headers, body,
verification and the event it caused; its Copy button works under the CSP."""

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.browser.helpers import (
    PASSWORD,
    click_and_load,
    horizontal_overflow,
    log_in,
    wait_for,
)
from tests.factories import InboundSourceFactory, StationFactory, WebhookFactory
from tests.inbound_helpers import XTRA_NEWTRACK, as_bytes, xtra_headers
from webhooks.models import InboundRequest

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "xtra-shared-secret-1"


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("operator", "op@example.com", PASSWORD)


def test_inbound_log_and_a_requests_detail(browser, live_server, operator, httpserver, screenshot):
    # given an xtra source that sent a track, a forged request and a retry of the track
    station = StationFactory(name="Radio Example")
    source = InboundSourceFactory(station=station, name="Studio A xtra", secret=SECRET)
    httpserver.expect_request("/now-playing").respond_with_data("ok")
    WebhookFactory(
        station=station,
        name="Now playing display",
        event_type="station.studio.newtrack",
        url=httpserver.url_for("/now-playing"),
    )
    body = as_bytes(XTRA_NEWTRACK)
    url = f"{live_server.url}/in/{source.token}/"
    answers = [
        requests.post(url, data=body, headers=xtra_headers(body, SECRET), timeout=10),
        requests.post(url, data=body, headers=xtra_headers(body, "forged"), timeout=10),
        requests.post(url, data=body, headers=xtra_headers(body, SECRET), timeout=10),
    ]
    assert [answer.status_code for answer in answers] == [202, 401, 200]
    accepted = InboundRequest.objects.get(outcome="accepted")
    log_in(browser, live_server)
    # when the operator opens the inbound log
    browser.get(f"{live_server.url}/admin/webhooks/inboundrequest/")
    # then it fits the window and shows each request's answer
    assert horizontal_overflow(browser) == {"page": 0, "table": 0}
    text = browser.find_element(By.ID, "result_list").text
    assert "accepted 202" in text and "rejected 401" in text and "duplicate 200" in text
    assert "Studio A xtra" in text and "X-Webhook-Signature does not match" in text
    screenshot("10-inbound-log")
    # when they open the accepted request
    click_and_load(browser, browser.find_element(By.LINK_TEXT, str(accepted.pk)))
    detail = browser.find_element(By.ID, "inbound-request-detail")
    assert "X-Webhook-Signature (HMAC-SHA256, hex)" in detail.text
    assert "Hey Jude" in browser.find_element(By.ID, "inbound-body").text
    assert browser.find_elements(By.CSS_SELECTOR, ".sh-headers th")
    # and the event it caused links to its deliveries
    event = accepted.events.get()
    link = browser.find_element(By.LINK_TEXT, "station.studio.newtrack")
    assert link.get_attribute("href").endswith(f"?q={event.message_id}")
    screenshot("10-inbound-detail")
    copy = browser.find_element(By.CSS_SELECTOR, "[data-copy='#inbound-body']")
    copy.click()
    # copy.js ran (no inline script); the clipboard answers asynchronously
    assert wait_for(browser, lambda: copy.text in ("Copied", "Press Ctrl+C"))
