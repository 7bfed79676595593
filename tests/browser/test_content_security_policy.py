"""The admin and the API docs work under the strict Content-Security-Policy: every page
loads, its scripts run (Alpine's CSP build, Chart.js, Swagger UI, the admin's widgets) and
the console shows no violation (the conftest checks the console after each test)."""

import pytest
from selenium.webdriver.common.by import By

from tests.browser.helpers import PASSWORD, log_in, wait_for
from tests.factories import (
    BroadcastFactory,
    PresenterFactory,
    ProgramFactory,
    StationFactory,
    StreamFactory,
    WebhookFactory,
)
from tests.webhook_helpers import publish_track_unqueued

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("operator", "op@example.com", PASSWORD)


def _alpine_started(browser) -> bool:
    return browser.execute_script("return !!(window.Alpine && document.body._x_dataStack)")


def test_admin_pages_run_their_scripts_under_the_policy(browser, live_server, operator):
    # given one of everything the pages show
    station = StationFactory(name="Radio Example")
    webhook = WebhookFactory(station=station, name="Website")
    delivery = publish_track_unqueued(webhook).deliveries.get()
    program = ProgramFactory(station=station)
    program.presenters.add(PresenterFactory(station=station))  # an autocomplete widget
    broadcast = BroadcastFactory(station=station, program=program)
    stream = StreamFactory(station=station)
    log_in(browser, live_server)
    pages = [
        "/admin/",
        "/admin/webhooks/webhook/",
        "/admin/webhooks/webhook/add/",
        f"/admin/webhooks/webhook/{webhook.pk}/change/",
        "/admin/webhooks/delivery/",
        f"/admin/webhooks/delivery/{delivery.pk}/change/",
        "/admin/webhooks/resyncjob/",
        "/admin/webhooks/alertpolicy/add/",
        f"/admin/stations/program/{program.pk}/change/",
        f"/admin/stations/broadcast/{broadcast.pk}/change/",
        f"/admin/stations/stream/{stream.pk}/change/",
        "/admin/auth/user/",
        f"/admin/auth/user/{operator.pk}/change/",
        "/admin/django_q/schedule/",
        "/admin/receiver-guide/",
    ]
    for page in pages:
        # when
        browser.get(f"{live_server.url}{page}")
        # then the page's components started (the console is checked after the test)
        wait_for(browser, lambda: _alpine_started(browser))
        assert "Server Error" not in browser.title, page


def _sidebar_links_shown(browser) -> bool:
    return any(
        e.is_displayed() for e in browser.find_elements(By.CSS_SELECTOR, "#nav-sidebar-apps a")
    )


def _displayed(browser, selector: str):
    return next(e for e in browser.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed())


def test_sidebar_filters_and_calendar_work_under_the_policy(browser, live_server, operator):
    broadcast = BroadcastFactory(station=StationFactory(name="Radio Example"))
    log_in(browser, live_server)
    # the sidebar closes, and the page component remembers it for the next page
    browser.execute_script("document.body._x_dataStack[0].sidebarDesktopOpen = false")
    wait_for(browser, lambda: not _sidebar_links_shown(browser))
    assert browser.execute_script("return localStorage.getItem('sidebarDesktopOpen')") == "0"
    browser.execute_script("localStorage.setItem('sidebarDesktopOpen', '1')")
    # the change list's filter panel opens
    browser.get(f"{live_server.url}/admin/stations/broadcast/")
    _displayed(browser, "a[x-on\\:click='filterOpen = true']").click()
    wait_for(browser, lambda: browser.find_element(By.ID, "changelist-filter").is_displayed())
    # a date field's calendar opens
    browser.get(f"{live_server.url}/admin/stations/broadcast/{broadcast.pk}/change/")
    link = browser.find_element(By.ID, "calendarlink0")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    wait_for(browser, lambda: browser.find_element(By.ID, "calendarbox0").is_displayed())


def test_api_docs_render_under_the_policy(browser, live_server):
    browser.get(f"{live_server.url}/api/docs/")
    wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock"), 20)
    assert "StationHooks API" in browser.page_source
