"""Real headless Chromium (Debian's chromium + chromium-driver) driven by Selenium, at the
two window sizes operators use most: a laptop (1400x900) and a desktop (1920x1080).

Every test runs at both sizes; screenshots are taken at the laptop size and go to
$SCREENSHOTS_DIR when set (`make screenshots` sets docs/screenshots). After each test the
browser's console must hold no error: no Content-Security-Policy violation and no script
error on any page the test visited. Without chromedriver these tests skip on a developer
machine and fail in CI (CI=true), where scripts/test.sh installs the Debian packages first.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMEDRIVER = "/usr/bin/chromedriver"
LAPTOP, DESKTOP = (1400, 900), (1920, 1080)


@pytest.fixture(scope="session", params=[LAPTOP, DESKTOP], ids=["1400x900", "1920x1080"])
def browser(request):
    if not shutil.which(CHROMEDRIVER):
        if os.environ.get("CI"):
            pytest.fail("chromedriver missing: apt-get install chromium chromium-driver")
        pytest.skip("needs Debian's chromium and chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    width, height = request.param
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
    ]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    driver.window_size = (width, height)
    yield driver
    driver.quit()


def console_errors(browser) -> list[str]:
    """The console's errors since the last call (reading the log empties it): CSP
    violations ("Refused to …") and script errors."""
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.fixture(autouse=True)
def no_console_errors(request):
    """Each browser test ends with a clean console (CSP included)."""
    if "browser" not in request.fixturenames:
        yield
        return
    browser = request.getfixturevalue("browser")
    console_errors(browser)  # what earlier tests left
    browser.delete_all_cookies()
    yield
    assert console_errors(browser) == []


@pytest.fixture
def screenshot(browser):
    target = os.environ.get("SCREENSHOTS_DIR")

    def take(name: str) -> None:
        if target and browser.window_size == LAPTOP:
            Path(target).mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(Path(target) / f"{name}.png"))

    return take
