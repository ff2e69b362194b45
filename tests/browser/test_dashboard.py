"""The live dashboard in headless Chromium against the production server.

One server serves the module (each test makes its own sessions); the `page` fixture fails a test on
any console error and on any request that leaves the app.
"""
from __future__ import annotations

import itertools
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from playwright.sync_api import expect

from tests.helpers import LiveServer, axe_violations, call, sign_in_page

NUMBERS = itertools.count(1)



class Clinic:
    """The server's API with the test users' tokens: sets the scene the dashboard shows."""

    def __init__(self, live_server: LiveServer):
        self.live_server = live_server

    def call(self, method: str, path: str, body=None, role: str = "nurse") -> dict:
        return call(self.live_server, method, path, body, role=role)

    def session(self, chair: str, given: str = "Grace", family: str = "Okafor", role: str = "nurse") -> int:
        number = next(NUMBERS)
        patient = self.call("POST", "/api/patients", {"mrn": f"DASH-{number:05d}", "family_name": family,
                                                      "given_name": given, "birth_date": "1979-03-14"}, role=role)
        return self.call("POST", "/api/sessions", {"patient_id": patient["id"], "chair": chair, "drug": "ketamine",
                                                   "route": "iv", "planned_minutes": 40}, role=role)["id"]

    def infusing(self, chair: str, role: str = "nurse", **names) -> int:
        session_id = self.session(chair, role=role, **names)
        self.call("POST", f"/api/sessions/{session_id}/transitions", {"to": "baseline"}, role=role)
        self.vitals(session_id, role=role, hr=72, sbp=122, dbp=78, spo2=98, rr=14)
        self.call("POST", f"/api/sessions/{session_id}/transitions", {"to": "infusing"}, role=role)
        return session_id

    def vitals(self, session_id: int, role: str = "nurse", **values) -> dict:
        return self.call("POST", f"/api/sessions/{session_id}/vitals", values, role=role)

    def alerts(self, session_id: int) -> list[dict]:
        return self.call("GET", f"/api/alerts?session_id={session_id}&state=all")["items"]

    def end(self, session_id: int) -> None:
        self.call("POST", f"/api/sessions/{session_id}/transitions", {"to": "aborted", "reason": "test over"})


@pytest.fixture
def clinic(live_server):
    """The scene: no active session is left over from another test."""
    clinic = Clinic(live_server)
    for session in clinic.call("GET", "/api/sessions?state=active")["items"]:
        clinic.end(session["id"])
    return clinic


def tile(page, session_id: int):
    return page.locator(f'.tile[data-session-id="{session_id}"]')


def reading(page, session_id: int, measure: str):
    return tile(page, session_id).locator(f'[data-measure="{measure}"] .value')


def order(page) -> list[int]:
    return [int(i) for i in page.locator(".tile").evaluate_all("tiles => tiles.map(t => t.dataset.sessionId)")]


def test_the_dashboard_lists_every_active_session(page, clinic):
    first = clinic.infusing("1", given="Grace", family="Okafor")
    second = clinic.session("2", given="Ana", family="Reyes")
    ended = clinic.session("3")
    clinic.end(ended)
    sign_in_page(page, "clinician")
    expect(page.get_by_role("heading", name="Active sessions")).to_be_visible()
    expect(page.locator(".tile")).to_have_count(2)
    expect(tile(page, first).get_by_role("heading")).to_have_text("Chair 1")
    expect(tile(page, first).locator(".who")).to_contain_text("GO · ")
    expect(tile(page, first).locator(".state")).to_have_text("Infusing")
    expect(tile(page, first).locator(".clock")).to_have_text(re.compile(r"^0:0\d:\d\d$"))
    expect(reading(page, first, "bp")).to_have_text("122/78")
    expect(tile(page, second).locator(".state")).to_have_text("Scheduled")
    expect(tile(page, second).locator(".clock")).to_have_text("not started")
    expect(page.locator("#connection")).to_have_text("Live")


def test_a_vitals_save_shows_on_its_tile_within_a_second_without_reload(page, clinic):
    session_id = clinic.infusing("4")
    sign_in_page(page, "clinician")
    expect(page.locator("#connection")).to_have_text("Live")
    page.evaluate("window.loadedOnce = true")
    saved_at = time.monotonic()
    clinic.vitals(session_id, hr=97, sbp=141, dbp=88, spo2=96, rr=17)
    expect(reading(page, session_id, "hr")).to_have_text("97", timeout=1000)
    shown_after = time.monotonic() - saved_at
    expect(reading(page, session_id, "bp")).to_have_text("141/88")
    expect(reading(page, session_id, "spo2")).to_have_text("96")
    expect(tile(page, session_id).locator('[data-measure="hr"] .age')).to_have_text("now")
    assert page.evaluate("window.loadedOnce") is True  # the same page, not a reload
    assert shown_after < 1.0


def test_the_sickest_patient_is_on_top(page, clinic):
    calm = clinic.infusing("5")
    worried = clinic.infusing("6")
    sign_in_page(page, "clinician")
    expect(page.locator(".tile")).to_have_count(2)
    clinic.vitals(worried, hr=118)  # medium
    expect(tile(page, worried)).to_have_attribute("data-priority", "medium")
    assert order(page)[0] == worried
    clinic.vitals(calm, sbp=192, dbp=100)  # high goes above medium
    expect(tile(page, calm)).to_have_attribute("data-priority", "high")
    expect(page.locator(".tile").first).to_have_attribute("data-session-id", str(calm))


def test_a_nurse_sees_her_chairs_first(page, clinic):
    others = clinic.infusing("7", role="clinician")
    clinic.vitals(others, role="clinician", sbp=190, dbp=95)  # a high alert elsewhere
    mine = clinic.session("8", role="nurse")
    sign_in_page(page, "nurse")
    expect(page.locator(".tile")).to_have_count(2)
    assert order(page) == [mine, others]
    expect(tile(page, mine).locator(".mine")).to_be_visible()


def test_an_alert_is_acknowledged_from_the_page(page, clinic):
    session_id = clinic.infusing("9")
    sign_in_page(page, "clinician")
    expect(page.locator("#connection")).to_have_text("Live")
    clinic.vitals(session_id, sbp=188, dbp=96)
    banner = tile(page, session_id).locator(".banner", has_text="SBP 188 ≥ 180")
    expect(banner.locator(".priority")).to_have_text("High")
    banner.locator(".more").click()  # the panel with every alert, and a comment for the acknowledgement
    alert = page.locator("#alert-panel .alert", has_text="SBP 188 ≥ 180")
    expect(alert).to_be_visible()
    alert.get_by_label("Comment for the acknowledgement").fill("labetalol given")
    alert.get_by_role("button", name="Acknowledge").click()
    expect(alert.locator(".alert-state")).to_have_text("acknowledged by clinician")
    [stored] = [a for a in clinic.alerts(session_id) if a["key"] == "bp_high"]
    assert (stored["state"], stored["acknowledged_by"], stored["comment"]) == ("acknowledged", "clinician",
                                                                             "labetalol given")


def test_an_alert_is_silenced_for_two_minutes_from_the_page(page, clinic):
    session_id = clinic.infusing("10")
    sign_in_page(page, "nurse")
    clinic.vitals(session_id, temp_c=39.4)
    alert = tile(page, session_id).locator(".banner", has_text="Temp 39.4 ≥ 39.1")
    alert.get_by_role("button", name="Silence 2 min").click()
    expect(alert.locator(".alert-state")).to_contain_text("silenced until")
    [stored] = [a for a in clinic.alerts(session_id) if a["key"] == "temp"]
    assert stored["silenced_until"] is not None and stored["state"] == "active"


def test_vitals_overdue_shows_on_the_tile_and_goes_when_vitals_are_saved(page, clinic):
    session_id = clinic.session("11")
    clinic.call("POST", f"/api/sessions/{session_id}/transitions", {"to": "baseline"})
    taken = (datetime.now(timezone.utc) - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    clinic.vitals(session_id, taken_at=taken, hr=70, sbp=120, dbp=75)
    sign_in_page(page, "clinician")
    expect(tile(page, session_id).locator(".overdue")).to_be_hidden()
    clinic.call("POST", f"/api/sessions/{session_id}/transitions", {"to": "infusing"})
    expect(tile(page, session_id).locator(".overdue")).to_be_visible()
    expect(tile(page, session_id).locator(".banner .message")).to_have_text(re.compile(r"^Vitals overdue: last 20"))
    clinic.vitals(session_id, hr=74)
    expect(tile(page, session_id).locator(".overdue")).to_be_hidden()


def test_high_alerts_sound_and_a_mute_runs_out_unless_a_higher_priority_breaks_through(page, clinic):
    session_id = clinic.infusing("12")
    sign_in_page(page, "clinician")
    page.get_by_role("button", name="Enable sound").click()
    expect(page.get_by_role("button", name="Sound on")).to_be_disabled()
    clinic.vitals(session_id, hr=118)
    expect(tile(page, session_id)).to_have_attribute("data-sounding", "true")
    dashboard = page.locator("#dashboard")
    expect(dashboard).to_have_attribute("data-alarm", "medium")
    expect(dashboard).to_have_attribute("data-alarm-playing", "true")
    page.get_by_role("button", name="Mute 2 min").click()
    expect(page.locator("#mute")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#mute")).to_have_text(re.compile(r"^Unmute \(muted (2:00|1:5\d)\)$"))
    expect(dashboard).to_have_attribute("data-alarm-playing", "false")
    clinic.vitals(session_id, hr=136)  # high breaks through the mute
    expect(page.locator("#mute")).to_have_attribute("aria-pressed", "false")
    expect(dashboard).to_have_attribute("data-alarm", "high")
    expect(dashboard).to_have_attribute("data-alarm-playing", "true")


def test_dark_and_light_themes_and_wall_mode(page, clinic):
    clinic.infusing("13")
    sign_in_page(page, "clinician")
    page.get_by_role("button", name="Dark theme").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"  # kept on this screen
    page.get_by_role("button", name="Wall mode").click()
    expect(page.locator("header.topbar")).to_be_hidden()
    page.get_by_role("button", name="Leave wall mode").click()
    expect(page.locator("header.topbar")).to_be_visible()
    page.get_by_role("button", name="Light theme").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "light"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_dashboard_has_no_serious_accessibility_violations(page, clinic, theme):
    session_id = clinic.infusing("14")
    clinic.vitals(session_id, sbp=190, dbp=100, hr=115)
    clinic.call("POST", f"/api/sessions/{session_id}/side-effects", {"kind": "nausea", "severity": "moderate"})
    sign_in_page(page, "clinician")
    if theme == "dark":
        page.get_by_role("button", name="Dark theme").click()
    expect(tile(page, session_id).locator(".banner .more")).to_have_text("+3 more")  # bp_high; bp_rise, hr, side_effect
    tile(page, session_id).locator(".banner .more").click()
    expect(page.locator("#alert-panel .alert")).to_have_count(4)
    found = axe_violations(page)
    assert found == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in found]


def test_a_session_scheduled_while_the_page_is_open_appears_and_one_that_ends_goes(page, clinic):
    staying = clinic.infusing("15")
    sign_in_page(page, "clinician")
    expect(page.locator(".tile")).to_have_count(1)
    arriving = clinic.session("16", given="Tomas", family="Berg")
    expect(tile(page, arriving).locator(".who")).to_contain_text("TB · ")
    clinic.end(staying)
    expect(page.locator(".tile")).to_have_count(1)
    expect(tile(page, staying)).to_have_count(0)


def test_an_import_arrives_as_one_batch_and_shows_its_latest_readings(page, clinic, live_server):
    session_id = clinic.session("17")
    sign_in_page(page, "clinician")
    expect(page.locator("#connection")).to_have_text("Live")
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    rows = [f"{(now - timedelta(minutes=60 - m)).strftime('%Y-%m-%dT%H:%M:%SZ')},{70 + m % 7},{118 + m % 5},78,98,15"
            for m in range(0, 60)]
    csv = "taken_at,hr,sbp,dbp,spo2,rr\n" + "\n".join(rows) + "\n"
    response = requests.post(f"{live_server.url}/api/sessions/{session_id}/imports", timeout=20,
                             files={"file": ("monitor.csv", csv, "text/csv")}, data={"format": "csv"},
                             headers={"Authorization": f"Bearer {live_server.tokens['nurse']}"})
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 60
    expect(reading(page, session_id, "hr")).to_have_text(str(70 + 59 % 7))
    expect(reading(page, session_id, "bp")).to_have_text(f"{118 + 59 % 5}/78")
    batches = clinic.call("GET", f"/api/events?session_id={session_id}&since=0")["events"]
    assert [e["type"] for e in batches].count("vitals.batch") == 1


def test_signing_out_in_another_tab_cuts_the_dashboard_off_and_says_so(page, clinic):
    clinic.infusing("18")
    sign_in_page(page, "clinician")
    expect(page.locator("#connection")).to_have_text("Live")
    other_tab = page.context.new_page()
    other_tab.goto("/")
    other_tab.get_by_role("button", name="Log out").click()
    other_tab.wait_for_url("**/login")
    signed_out = page.get_by_role("alert").filter(has_text="The live connection was refused")
    expect(signed_out).to_be_visible(timeout=2000)
    expect(page.locator("#dashboard")).to_have_class(re.compile(r"\bstale\b"))
    expect(signed_out.get_by_role("link", name="Sign in again")).to_have_attribute("href", "/login?next=/")
