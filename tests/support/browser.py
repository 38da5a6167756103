"""Debian's Chromium, headless, driven by selenium through Debian's chromedriver.

`make test` installs both when missing (scripts/test-browser.sh); without them the
browser tests fail with the command to run, never skip.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def chromium(download_dir: Path | None = None) -> webdriver.Chrome:
    """A headless Chromium at 1280×1000 (the explicit paths keep selenium from looking
    for a browser build of its own)."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(path) is None:
            raise RuntimeError(f"{path} is missing: run scripts/test-browser.sh (as root)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--disable-gpu", "--window-size=1280,1000", "--no-first-run",
                "--disable-extensions", "--disable-background-networking"):  # fmt: skip
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
