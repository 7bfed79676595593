"""Real headless Chromium (Debian's chromium + chromium-driver) driven by Selenium.

Screenshots go to $SCREENSHOTS_DIR when set (`make screenshots` sets docs/screenshots).
Without chromedriver these tests skip on a developer machine and fail in CI (CI=true),
where scripts/test.sh installs the Debian packages first.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMEDRIVER):
        if os.environ.get("CI"):
            pytest.fail("chromedriver missing: apt-get install chromium chromium-driver")
        pytest.skip("needs Debian's chromium and chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

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
        "--window-size=1280,900",
    ]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture
def screenshot(browser):
    target = os.environ.get("SCREENSHOTS_DIR")

    def take(name: str) -> None:
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(Path(target) / f"{name}.png"))

    return take
