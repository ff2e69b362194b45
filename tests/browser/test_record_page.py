"""The printable record: everything of the session on paper, amendments struck through, signatures,
the REMS figures for esketamine, and a layout that fits A4 and Letter."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import LiveApi, ago, minute_now, sign_in_page, watched_page

# Printable width at the 12 mm margins of print.css, in CSS pixels (96 per inch).
PRINTABLE = {"A4": round((210 - 24) / 25.4 * 96), "Letter": round((215.9 - 24) / 25.4 * 96)}


@pytest.fixture(scope="module")
def signed_esketamine(live_server):
    """A finished esketamine session with every kind of entry, signed, with an addendum."""
    api = LiveApi(live_server)
    t = minute_now()
    session = api.session(drug="esketamine", route="intranasal", dose_mg=84, dose_mg_per_kg=None, planned_minutes=None,
                          lot_number="LOT-5521", series_number=3,
                          checklist={"medication_flags": ["opioids"], "escort_confirmed": True, "consent": True})
    sid = session["id"]
    api.to(sid, "baseline", ago(140, t))
    api.vitals(sid, {"taken_at": ago(138, t).isoformat(), "hr": 72, "sbp": 126, "dbp": 80, "spo2": 98})
    api.to(sid, "infusing", ago(135, t))
    api.vitals(sid, {"taken_at": ago(95, t).isoformat(), "hr": 81, "sbp": 144, "dbp": 91, "spo2": 97, "rr": 15,
                     "temp_c": 36.9, "moaas": 4, "pain": 1})
    wrong = api.vitals(sid, {"taken_at": ago(80, t).isoformat(), "hr": 38, "spo2": 97})
    api.post(f"/api/vitals/{wrong['id']}/void", {"reason": "probe slipped"}, expect=200)
    misread = api.vitals(sid, {"taken_at": ago(60, t).isoformat(), "hr": 76, "sbp": 183, "dbp": 84, "confirm": True})
    api.post(f"/api/vitals/{misread['id']}/amend", {"sbp": 138, "reason": "typed 183 for 138"}, expect=201)
    api.post(f"/api/sessions/{sid}/side-effects", {
        "kind": "nausea", "severity": "moderate", "observed_at": ago(100, t).isoformat(),
        "intervention": {"drug": "ondansetron", "dose": "4 mg", "infusion": "none"}}, expect=201)
    api.post(f"/api/sessions/{sid}/assessments", {"instrument": "cadss", "items": {"total": 12},
                                                 "at": ago(90, t).isoformat()}, expect=201)
    api.to(sid, "recovery", ago(120, t))
    api.vitals(sid, {"taken_at": ago(20, t).isoformat(), "hr": 70, "sbp": 128, "dbp": 82, "spo2": 98})
    api.post(f"/api/sessions/{sid}/assessments", {"instrument": "padss", "at": ago(12, t).isoformat(), "items": {
        "vital_signs": 2, "ambulation": 2, "nausea_vomiting": 2, "pain": 2, "bleeding": 2}}, expect=201)
    api.to(sid, "ready", ago(10, t))
    api.to(sid, "discharged", ago(5, t))
    api.post(f"/api/sessions/{sid}/sign", {"password": "clinician-password-1", "meaning": "Reviewed and approved"},
             role="clinician", expect=200)
    api.post(f"/api/sessions/{sid}/addenda", {"text": "Patient phoned: home safely."}, expect=201)
    return {"id": sid, "t": t}


def test_the_record_shows_the_whole_session_with_amendments_struck_through(browser, live_server, signed_esketamine):
    t = signed_esketamine["t"]
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{signed_esketamine['id']}/record")
        expect(page.get_by_role("heading", name="Session record: Okafor, Grace")).to_be_visible()
        head = page.locator(".record-head")
        facts = dict(zip(head.locator("dt").all_inner_texts(), head.locator("dd").all_inner_texts()))
        assert (facts["Drug"], facts["Dose"], facts["Lot"], facts["Session"]) == (
            "Esketamine, nasal spray", "84 mg", "LOT-5521", f"{signed_esketamine['id']}, number 3 of the course")
        assert facts["Checklist"] == "Opioids; escort confirmed; consent recorded"

        rows = page.locator(".flowsheet tbody tr")
        assert [r.get_attribute("class") for r in rows.all()] == [
            "vitals-row status-current", "vitals-row status-current", "vitals-row status-void",
            "vitals-row status-amended", "vitals-row status-current", "vitals-row status-current"]
        assert [r.locator("[data-field=sbp]").inner_text() for r in rows.all()] == [
            "126", "144", "–", "183", "138", "128"]
        for struck in (rows.nth(2), rows.nth(3)):
            expect(struck.locator("[data-field=hr]")).to_have_css("text-decoration-line", "line-through")
        expect(rows.nth(2).locator(".status")).to_have_text("Void: probe slipped")
        expect(rows.nth(4).locator(".status")).to_have_text("Amendment (typed 183 for 138)")
        headings = page.locator(".flowsheet thead th").all_inner_texts()
        assert headings[:8] == [
            "Time", "HR\n/min", "SBP\nmmHg", "DBP\nmmHg", "MAP\nmmHg", "SpO2\n%", "RR\n/min", "Temp\n°C"]

        rems = page.locator(".rems-form")
        figures = dict(zip(rems.locator("dt").all_inner_texts(), rems.locator("dd").all_inner_texts()))
        assert figures == {"Dose": "84 mg", "Lot": "LOT-5521",
                           "Pre-dose BP": f"126/80 at {ago(138, t):%H:%M}",
                           "BP about 40 minutes after dosing": f"144/91 at {ago(95, t):%H:%M}",
                           "Pre-discharge BP": f"128/82 at {ago(20, t):%H:%M}",
                           "Total monitored": "130 min", "Ready to leave after": "125 min"}
        effect = page.locator("section", has_text="Side effects and interventions").locator("tbody tr")
        assert effect.locator("td").all_inner_texts() == ["Nausea", "moderate", "ondansetron 4 mg", "no"]
        assessments = page.locator("section", has_text="Assessments").locator("tbody tr")
        assert [r.locator("td").all_inner_texts()[:3] for r in assessments.all()] == [
            ["CADSS", "12", "–"], ["PADSS", "10", "met"]]
        durations = {d.get_attribute("data-duration"): d.locator("dd").inner_text()
                     for d in page.locator("[data-duration]").all()}
        assert durations == {"infusion": "15 min", "paused": "0 min", "recovery": "110 min", "discharge_wait": "5 min",
                             "observation": "130 min", "total": "135 min"}
        expect(page.locator(".note-addendum")).to_contain_text("Patient phoned: home safely.")
        expect(page.locator(".signatures")).to_contain_text("Signed by clinician at")
        expect(page.locator(".signatures")).to_contain_text(": Reviewed and approved.")
        expect(page.locator(".trend-svg polyline")).to_have_count(4)


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_record_prints_to_a4_and_letter_without_anything_cut_off(browser, live_server, signed_esketamine, paper):
    with watched_page(browser, live_server, width=PRINTABLE[paper]) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{signed_esketamine['id']}/record")
        page.emulate_media(media="print")
        assert page.evaluate("document.documentElement.scrollWidth") <= PRINTABLE[paper]
        for hidden in (".topbar", "#print-record", ".screen-only"):
            expect(page.locator(hidden)).to_be_hidden()
        expect(page.locator(".flowsheet thead")).to_have_css("display", "table-header-group")
        pdf = page.pdf(format=paper, print_background=False)
        assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000


def test_reading_the_record_is_audited(browser, live_server, signed_esketamine):
    api = LiveApi(live_server)
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{signed_esketamine['id']}/record")
    entries = api.get(f"/api/audit?session_id={signed_esketamine['id']}", role="admin")["items"]
    assert ("read", "nurse", "session") in {(e["action"], e["actor"], e["entity"]) for e in entries}
