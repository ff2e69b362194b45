"""Take the README's dashboard screenshot (docs/dashboard.png) with headless Chromium.

A demo clinic on a scratch database, served by `monitor serve`, alerts of each priority raised through
the API, then the dashboard photographed; with --session also the session page with its trends (to
docs/session-trends.png; the README's docs/session.png is the bedside page's own); with --outcomes also a
patient's course (docs/series-outcomes.png) and the tablet self-report mode at 768 px (docs/tablet.png).
With --full also sixteen chairs in wall mode at 1920 x 1080 (docs/dashboard-wall.png).
Always also the handover sheet (docs/handover.png) and the alarm review (docs/alarm-review.png).
Run: .venv/bin/python scripts/screenshots.py [--session] [--outcomes]
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.demo import LOGINS  # noqa: E402
from tests.helpers import LiveServer  # noqa: E402

PASSWORDS = {name: password for name, _, password in LOGINS}  # the demo's own logins

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


def signed_in(browser, server: LiveServer, role: str, **options):
    page = browser.new_page(**options)
    page.goto(server.url + "/login")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", PASSWORDS[role])
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def outcome_pictures(browser, server: LiveServer) -> None:
    """The demo responder's course (PHQ-9 and GAD-7 per infusion over their bands) and the tablet mode."""
    [okafor] = [p for p in api(server, "GET", "/api/patients?q=MRN-100231")["items"]]
    page = signed_in(browser, server, "clinician", viewport=VIEWPORT, device_scale_factor=1)
    page.goto(f"{server.url}/patients/{okafor['id']}")
    page.wait_for_selector("#outcome-phq9 .main-svg")
    page.locator("#outcomes-h").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=str(DOCS / "series-outcomes.png"))
    print(f"wrote {DOCS / 'series-outcomes.png'}")
    waiting = [s for s in api(server, "GET", "/api/sessions?state=baseline")["items"]]
    tablet = signed_in(browser, server, "nurse", viewport={"width": 768, "height": 1024}, has_touch=True,
                       device_scale_factor=1)
    tablet.goto(f"{server.url}/sessions/{waiting[0]['id']}/self-report?instrument=phq9")
    for answer in ("some days", "most days"):
        tablet.locator("fieldset.tablet-item:not([hidden])").get_by_role("button", name=answer, exact=True).tap()
    tablet.wait_for_timeout(200)
    tablet.screenshot(path=str(DOCS / "tablet.png"))
    print(f"wrote {DOCS / 'tablet.png'}")


def station_pictures(browser, server: LiveServer) -> None:
    """The handover sheet at the demo's change of shift (docs/handover.png) and the alarm review of its day
    (docs/alarm-review.png)."""
    page = signed_in(browser, server, "nurse2", viewport=VIEWPORT, device_scale_factor=1)
    page.goto(f"{server.url}/handover")
    page.wait_for_selector("#connection[data-state=live]")
    page.screenshot(path=str(DOCS / "handover.png"))
    print(f"wrote {DOCS / 'handover.png'}")
    page = signed_in(browser, server, "clinician", viewport=VIEWPORT, device_scale_factor=1)
    page.goto(f"{server.url}/reports")
    page.wait_for_selector("#chart-alarm-outcomes .main-svg")
    page.evaluate("document.getElementById('alarms-h').scrollIntoView()")
    page.wait_for_timeout(300)
    page.screenshot(path=str(DOCS / "alarm-review.png"))
    print(f"wrote {DOCS / 'alarm-review.png'}")


FULL_CLINIC = [  # chairs added to the demo's six for the wall picture: (HR, SBP, DBP, SpO2, RR)
    (134, 188, 112, 97, 18), (72, 124, 80, 98, 14), (118, 150, 92, 95, 16), (88, 132, 84, 93, 22),
    (64, 118, 76, 99, 12), (102, 176, 104, 96, 15), (76, 128, 82, 97, 14), (90, 121, 79, 92, 24),
    (81, 140, 88, 98, 13), (70, 119, 77, 97, 14)]


def full_clinic_picture(browser, server: LiveServer) -> None:
    """Sixteen active chairs in wall mode on a 1920 x 1080 screen (docs/dashboard-wall.png)."""
    for number, (hr, sbp, dbp, spo2, rr) in enumerate(FULL_CLINIC, start=10):
        patient = api(server, "POST", "/api/patients", {"mrn": f"MRN-3{number:05d}", "family_name": "Demo",
                                                        "given_name": f"Chair{number}", "birth_date": "1980-01-01"})
        session = api(server, "POST", "/api/sessions", {"patient_id": patient["id"], "chair": str(number),
                                                        "drug": "ketamine", "route": "iv", "dose_mg_per_kg": 0.5,
                                                        "planned_minutes": 40})
        api(server, "POST", f"/api/sessions/{session['id']}/transitions", {"to": "baseline"})
        api(server, "POST", f"/api/sessions/{session['id']}/vitals", {"hr": 74, "sbp": 122, "dbp": 78, "spo2": 98,
                                                                      "rr": 14})
        api(server, "POST", f"/api/sessions/{session['id']}/transitions", {"to": "infusing"})
        api(server, "POST", f"/api/sessions/{session['id']}/vitals", {"hr": hr, "sbp": sbp, "dbp": dbp, "spo2": spo2,
                                                                      "rr": rr, "confirm": True})
    page = signed_in(browser, server, "clinician", viewport={"width": 1920, "height": 1080}, device_scale_factor=1)
    page.wait_for_selector("#connection[data-state=live]")
    page.get_by_role("button", name="Wall mode").click()
    page.wait_for_timeout(500)
    page.screenshot(path=str(DOCS / "dashboard-wall.png"))
    print(f"wrote {DOCS / 'dashboard-wall.png'}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp))
        server.cli("init-db")
        server.cli("demo")
        server.tokens = {"nurse": server.cli("token", "create", "nurse").strip().split()[-1]}
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
                station_pictures(browser, server)
                if "--outcomes" in sys.argv:
                    outcome_pictures(browser, server)
                if "--full" in sys.argv:
                    full_clinic_picture(browser, server)
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
