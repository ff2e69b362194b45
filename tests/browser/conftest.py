"""Headless Chromium (Debian's, driven by Playwright) against the real server (`live_server`).

Every page test fails on a console error or on any request that leaves the app.
Under CI=true a missing browser fails the run instead of skipping.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import PageWatch

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    """One Chromium per xdist worker."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing at /usr/bin/chromium (CI must install it)")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = PageWatch(live_server.url)
    watch.attach(context, page)
    page.watch = watch
    yield page
    context.close()
    watch.check()
