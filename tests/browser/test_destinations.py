"""Destinations in a real browser: an operator sets up the seed's first use case, "Discord:
post now-playing to channel", previews the request and sends a test event to a local
fake Discord."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.helpers import PASSWORD, click_and_load, log_in, messages, wait_for
from tests.factories import StationFactory
from tests.fake_services import FakeDiscord
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("operator", "op@example.com", PASSWORD)


def shown(browser, element_id: str) -> bool:
    return browser.find_element(By.ID, element_id).is_displayed()


def test_a_discord_webhook_for_new_tracks_previewed_and_tested(
    browser, live_server, operator, httpserver, screenshot
):
    # given a station and Discord (a local fake that checks requests as Discord does)
    station = StationFactory(name="Radio Example")
    discord = FakeDiscord(httpserver)
    log_in(browser, live_server)
    # when the operator adds a webhook for new tracks and chooses Discord
    browser.get(f"{live_server.url}/admin/webhooks/webhook/add/")
    Select(browser.find_element(By.ID, "id_station")).select_by_visible_text(station.name)
    browser.find_element(By.ID, "id_name").send_keys("Now playing on Discord")
    Select(browser.find_element(By.ID, "id_event_type")).select_by_value("station.studio.newtrack")
    assert not shown(browser, "id_discord_username")
    Select(browser.find_element(By.ID, "id_format")).select_by_value("discord")
    # then only Discord's fields show (no signing secret, no other service's settings)
    wait_for(browser, lambda: shown(browser, "id_discord_username"))
    assert shown(browser, "id_discord_message") and shown(browser, "id_url")
    assert not shown(browser, "id_telegram_chat_id") and not shown(browser, "id_new_secret")
    browser.find_element(By.ID, "id_url").send_keys(discord.url)
    browser.find_element(By.ID, "id_discord_username").send_keys("Radio Example")
    # and Preview shows the exact request before anything is saved
    button = browser.find_element(By.ID, "preview-button")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    line = wait_for(browser, lambda: browser.find_elements(By.ID, "preview-request-line"))[0]
    assert line.text == (f"POST {discord.url.rsplit('/', 1)[0]}/…-xyz?wait=true")
    preview = browser.find_element(By.ID, "preview-body").text
    assert '"content": "Now playing: StationHooks – Test Track"' in preview
    assert discord.token not in browser.page_source
    assert not Webhook.objects.exists() and discord.accepted == []
    card = browser.find_element(By.ID, "webhook-preview-card")
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", card)
    screenshot("09-destination-preview")
    # when the operator saves and sends a test event
    click_and_load(browser, browser.find_element(By.NAME, "_continue"))
    webhook = Webhook.objects.get()
    assert webhook.format == "discord"
    click_and_load(browser, browser.find_element(By.ID, "send-test-event"))
    # then Discord accepted a valid message, and the admin shows Discord's answer
    assert discord.refused == []
    (message,) = discord.accepted
    assert message["content"] == "Now playing: StationHooks – Test Track"
    assert message["username"] == "Radio Example"
    answer = messages(browser)
    assert "HTTP 200" in answer and '"channel_id": "998877"' in answer
