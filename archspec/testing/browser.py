"""A headless Chromium driven by selenium, for checking pages archspec writes as a person sees
them (``archspec report``'s page: tests/report/test_report_browser.py and the screenshot in
docs/report.md take the same path).

Debian's ``chromium`` and ``chromium-driver`` packages (``/usr/bin/chromium``,
``/usr/bin/chromedriver``) and ``pip install selenium``; nothing is downloaded (selenium's own
driver manager is bypassed by naming the driver). :func:`missing` says what is not installed.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

#: where Debian installs them; $ARCHSPEC_CHROMIUM / $ARCHSPEC_CHROMEDRIVER point elsewhere
CHROMIUM = os.environ.get("ARCHSPEC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = (os.environ.get("ARCHSPEC_CHROMEDRIVER") or shutil.which("chromedriver")
          or "/usr/bin/chromedriver")


def missing() -> str | None:
    """What is missing to drive the browser (None when nothing is), and how to install it."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    for path, package in ((CHROMIUM, "chromium"), (DRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (apt-get install {package})"
    return None


def headless_chromium(width: int = 1280, height: int = 900) -> WebDriver:
    """A headless Chromium of ``width``×``height`` whose console log (``get_log('browser')``)
    is kept at every level. Quit it when done."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={width},{height}", "--hide-scrollbars"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
