"""Take the README's dashboard screenshot (docs/dashboard.png) with headless Chromium.

A demo clinic on a scratch database, served by `monitor serve`, alerts of each priority raised through
the API, then the dashboard photographed; with --session also the session page with its trends (to
docs/session-trends.png; the README's docs/session.png is the bedside page's own).
Run: .venv/bin/python scripts/screenshots.py [--session]
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import PASSWORDS, LiveServer  # noqa: E402

DOCS = ROOT / "docs"
VIEWPORT = {"width": 1440, "height": 900}


def api(server: LiveServer, method: str, path: str, body=None):
    response = requests.request(method, server.url + path, json=body, timeout=10,
                                headers={"Authorization": f"Bearer {server.tokens['nurse']}"})
    response.raise_for_status()
    return response.json()


def scene(server: LiveServer) -> int:
    """Alerts of each priority on the demo's sessions; returns the infusing session to photograph."""
    active = api(server, "GET", "/api/sessions?state=active")["items"]
    infusing = [s for s in active if s["state"] == "infusing"]
    recovering = [s for s in active if s["state"] in ("recovery", "paused")]
    chosen = infusing[0]["id"]
    api(server, "POST", f"/api/sessions/{chosen}/vitals", {"hr": 96, "sbp": 184, "dbp": 104, "spo2": 97, "rr": 16})
    if recovering:
        api(server, "POST", f"/api/sessions/{recovering[0]['id']}/vitals", {"hr": 116, "spo2": 95, "rr": 18})
    return chosen


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp))
        server.cli("init-db")
        server.add_users()
        server.cli("demo")
        server.start()
        try:
            session_id = scene(server)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                     args=["--headless=new", "--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
                page.goto(server.url + "/login")
                page.fill("input[name=username]", "clinician")
                page.fill("input[name=password]", PASSWORDS["clinician"])
                page.click("button[type=submit]")
                page.wait_for_selector("#connection[data-state=live]")
                page.wait_for_timeout(500)
                page.screenshot(path=str(DOCS / "dashboard.png"))
                print(f"wrote {DOCS / 'dashboard.png'}")
                if "--session" in sys.argv:
                    page.goto(f"{server.url}/sessions/{session_id}")
                    page.wait_for_selector("#trends[data-ready=true]", timeout=15_000)
                    page.locator("#trends").scroll_into_view_if_needed()
                    page.wait_for_timeout(500)
                    page.screenshot(path=str(DOCS / "session-trends.png"))
                    print(f"wrote {DOCS / 'session-trends.png'}")
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
