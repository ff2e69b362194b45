"""Headless Chromium (Debian's, driven by Playwright) against the real server.

Every page test fails on a console error or on any request that leaves the app.
Under CI=true a missing browser fails the run instead of skipping.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

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
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing at /usr/bin/chromium (CI must install it)")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


class PageWatch:
    """What a page did wrong: console errors, page errors and requests that left the app."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.console_errors: list[str] = []
        self.outside: list[str] = []

    def attach(self, context, page) -> None:
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))

        def guard(route):
            url = route.request.url
            if url.startswith(self.base_url) or url.startswith(("data:", "blob:", "about:")):
                route.continue_()
            else:
                self.outside.append(url)
                route.abort()

        context.route("**/*", guard)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One real server for a test module's pages (`support.watched_page` signs in to it)."""
    from .support import start_server

    yield from start_server(tmp_path_factory)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = PageWatch(live_server.url)
    watch.attach(context, page)
    page.watch = watch
    yield page
    context.close()
    allowed = [e for e in watch.console_errors if "ERR_CONNECTION_REFUSED" not in e
               and "Failed to load resource" not in e and "WebSocket" not in e]
    assert not watch.outside, f"requests left the app: {watch.outside}"
    assert not allowed, f"console errors: {allowed}"


def login(page, role: str, password: str | None = None) -> None:
    """Sign in through the login form as one of the live server's users."""
    from ..helpers import PASSWORDS

    page.goto("/login")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", password or PASSWORDS[role])
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (served by the app) in the page; return the violations of the given impacts."""
    page.add_script_tag(url="/static/vendor/axe.min.js")
    result = page.evaluate("async () => await axe.run(document)")
    return [v for v in result["violations"] if v["impact"] in impacts]
