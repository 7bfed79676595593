"""The webhook page in a real browser: the form shows the fields of the chosen trigger
only, a new webhook's secret is shown once with a copy button, a test event is shown
before it is sent, and a resync starts from the page with pickers and a preview."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.helpers import PASSWORD, click_and_load, log_in, messages, wait_for
from tests.factories import ProgramFactory, StationFactory, WebhookFactory
from webhooks.models import ResyncJob, Webhook

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("operator", "op@example.com", PASSWORD)


def shown(browser, element_id: str) -> bool:
    return browser.find_element(By.ID, element_id).is_displayed()


def test_the_add_form_follows_the_trigger(browser, live_server, operator, httpserver):
    # given
    station = StationFactory(name="Radio Example")
    log_in(browser, live_server)
    # when the operator opens Add: push, the first trigger, shows its models and debounce
    browser.get(f"{live_server.url}/admin/webhooks/webhook/add/")
    assert "Health" not in browser.find_element(By.ID, "content-main").text
    trigger = Select(browser.find_element(By.ID, "id_event_type"))
    assert trigger.first_selected_option.get_attribute("value") == "push"
    assert shown(browser, "id_models_0") and shown(browser, "id_debounce_s")
    assert not shown(browser, "id_throttle_s") and shown(browser, "id_delay_s")
    # and now-playing shows throttle instead
    trigger.select_by_value("station.studio.newtrack")
    wait_for(browser, lambda: shown(browser, "id_throttle_s"))
    assert not shown(browser, "id_models_0") and not shown(browser, "id_debounce_s")
    # and the encoder trigger neither
    trigger.select_by_value("station.encoder.statuschange")
    wait_for(browser, lambda: not shown(browser, "id_throttle_s"))
    assert not shown(browser, "id_debounce_s") and shown(browser, "id_delay_s")
    # when saved, the generated secret shows once, with its copy button
    Select(browser.find_element(By.ID, "id_station")).select_by_visible_text(station.name)
    browser.find_element(By.ID, "id_name").send_keys("Encoder watch")
    browser.find_element(By.ID, "id_url").send_keys(httpserver.url_for("/hook"))
    click_and_load(browser, browser.find_element(By.NAME, "_continue"))
    webhook = Webhook.objects.get()
    assert webhook.secret in messages(browser)
    copy = f"#messages [data-copy='#shown-secret-{webhook.pk}']"
    assert browser.find_element(By.CSS_SELECTOR, copy).is_displayed()


def test_a_test_event_is_shown_then_sent(browser, live_server, operator, httpserver):
    # given a now-playing webhook whose station played a track
    httpserver.expect_request("/hook").respond_with_data("thanks")
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    webhook.station.track_plays.create(title="Blue Monday", artist="New Order", duration=447)
    webhook.station.encoders.create(name="Studio A")
    log_in(browser, live_server)
    browser.get(f"{live_server.url}/admin/webhooks/webhook/{webhook.pk}/change/")
    # when the operator opens the test page
    click_and_load(browser, browser.find_element(By.ID, "test-event-page"))
    # then the request built from the real track shows before anything is sent
    assert "New Order – Blue Monday" in browser.find_element(By.ID, "test-event-origin").text
    assert '"title": "Blue Monday"' in browser.find_element(By.ID, "test-event-body").text
    assert "webhook-test" in browser.find_element(By.ID, "test-event-request").text
    assert httpserver.log == []
    # when another type is chosen
    Select(browser.find_element(By.ID, "test-event-type")).select_by_value(
        "station.encoder.statuschange"
    )
    click_and_load(browser, browser.find_element(By.ID, "show-test-event"))
    assert "Studio A" in browser.find_element(By.ID, "test-event-origin").text
    # and sent
    click_and_load(browser, browser.find_element(By.ID, "send-this-test-event"))
    # then the answer shows on the webhook's page, and the receiver knew it was a test
    assert "HTTP 200" in messages(browser) and "Response: thanks" in messages(browser)
    request, _ = httpserver.log[0]
    assert request.headers["webhook-test"] == "true"
    assert request.get_json()["encoder"]["name"] == "Studio A"


def test_resync_from_the_webhook_page_with_pickers_and_preview(browser, live_server, operator):
    # given a push webhook of a station in Amsterdam, with a program
    station = StationFactory(name="Radio Example", timezone="Europe/Amsterdam")
    webhook = WebhookFactory(station=station, event_type="push")
    ProgramFactory(station=station)
    log_in(browser, live_server)
    browser.get(f"{live_server.url}/admin/webhooks/webhook/{webhook.pk}/change/")
    # when the operator opens Resync from the webhook's page
    click_and_load(browser, browser.find_element(By.ID, "resync-webhook"))
    # then the form says which zone it reads, with pickers, and previews the window
    assert "Europe/Amsterdam" in browser.find_element(By.ID, "resync-zone").text
    start = browser.find_element(By.ID, "id_window_start")
    assert start.get_attribute("type") == "datetime-local"
    assert start.get_attribute("value").endswith("T00:00")
    counts = browser.find_elements(By.CSS_SELECTOR, "#resync-preview .resync-count")
    assert {c.get_attribute("data-model"): c.text for c in counts}["program"] == "1"
    # when it starts
    click_and_load(browser, browser.find_element(By.ID, "resync-start"))
    assert f"Resync of {webhook.name} started." in messages(browser)
    assert ResyncJob.objects.get().webhook == webhook
