"""What the browser tests share: logging in, clicking through to the next page, reading
the admin's messages."""

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

PASSWORD = "operator-pass-123"


def click_and_load(browser, element) -> None:
    """Click, and wait until the browser has left the current page for the next one.

    While Chromium swaps documents, asking about the old page's node can also fail with
    "Node with given id does not belong to the document": that too means it is gone."""
    page = browser.find_element(By.TAG_NAME, "html")
    element.click()

    def left_the_page(_browser) -> bool:
        try:
            page.is_enabled()
        except WebDriverException:  # stale, or detached mid-navigation
            return True
        return False

    WebDriverWait(browser, 20).until(left_the_page)


def log_in(browser, live_server, screenshot=None, username: str = "operator") -> None:
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    if screenshot:
        screenshot("01-login")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#login-form [type=submit]"))
    assert browser.title.startswith("Dashboard | StationHooks")


def messages(browser) -> str:
    return " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, "#messages li"))


def wait_for(browser, condition, timeout_s: float = 10):
    return WebDriverWait(browser, timeout_s).until(lambda _browser: condition())


def horizontal_overflow(browser) -> dict[str, int]:
    """How many pixels the page, and the box around the change list's table, are wider
    than the window shows (0 each: no horizontal scrollbar anywhere)."""
    return browser.execute_script(
        """
        const page = document.documentElement;
        const table = document.getElementById("result_list");
        const box = table ? table.parentElement : page;
        return {
            page: page.scrollWidth - page.clientWidth,
            table: box.scrollWidth - box.clientWidth,
        };
        """
    )
