"""The handover sheet in headless Chromium against the production server: live within a second of a save,
and twelve chairs printed on one A4 landscape page."""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.helpers import LiveApi, axe_violations, sign_in_page


@pytest.fixture
def clinic(live_server):
    """The server's API, with no active session left over from another test."""
    clinic = LiveApi(live_server)
    for session in clinic.get("/api/sessions?state=active&limit=1000")["items"]:
        clinic.to(session["id"], "aborted", reason="test over")
    return clinic


def infusing(clinic: LiveApi, chair: str) -> int:
    session_id = clinic.session(chair=chair)["id"]
    clinic.to(session_id, "baseline")
    clinic.vitals(session_id, {"hr": 72, "sbp": 122, "dbp": 78, "spo2": 98, "rr": 14})
    clinic.to(session_id, "infusing")
    return session_id


def test_the_sheet_updates_within_a_second_of_a_save(page, clinic):
    session_id = infusing(clinic, "4")
    sign_in_page(page, "nurse", fresh=False)
    page.goto("/handover")
    expect(page.locator("#connection")).to_have_text("Live")
    hr = page.locator(f'.handover-block[data-session-id="{session_id}"] [data-measure="hr"] b')
    expect(hr).to_have_text("72")
    saved = time.monotonic()
    clinic.vitals(session_id, {"hr": 134, "sbp": 188, "dbp": 112})
    expect(hr).to_have_text("134", timeout=1000)
    took = time.monotonic() - saved
    assert took < 1.0, took
    block = page.locator(f'.handover-block[data-session-id="{session_id}"]')
    expect(block.locator(".alerts")).to_contain_text("SBP 188")
    expect(block.locator('[data-measure="sbp"]')).to_contain_text("188/112↑")
    found = axe_violations(page)
    assert found == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in found]


def test_twelve_chairs_print_on_one_a4_landscape_page(page, clinic):
    shift_began = datetime.now(timezone.utc).isoformat(timespec="milliseconds")  # after the sessions ended before
    for chair in range(1, 13):
        session_id = infusing(clinic, str(chair))
        clinic.vitals(session_id, {"hr": 134, "sbp": 188, "dbp": 112, "spo2": 93, "rr": 22, "temp_c": 37.9})
        clinic.post(f"/api/sessions/{session_id}/side-effects", {
            "kind": "nausea", "severity": "moderate",
            "intervention": {"drug": "ondansetron", "dose": "4 mg", "infusion": "paused"}}, expect=201)
        clinic.post(f"/api/sessions/{session_id}/notes", {"kind": "escalation",
                                                          "text": "call supervisor: BP 188/112 after 20 min"},
                    expect=201)
    sign_in_page(page, "nurse", fresh=False)
    page.goto(f"/handover?since={quote(shift_began)}")
    expect(page.locator(".handover-block")).to_have_count(12)
    assert page.locator(".handover-block").first.locator(".alerts li").count() >= 3
    pdf = page.pdf(format="A4", landscape=True, prefer_css_page_size=True, print_background=True)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape at 96 px per inch
    bottom = page.evaluate("Math.max(...[...document.querySelectorAll('.handover-block')]"
                           ".map((b) => b.getBoundingClientRect().bottom))")
    assert bottom <= 794 - 2 * 6 * 96 / 25.4, bottom  # inside the page less its 6 mm margins
