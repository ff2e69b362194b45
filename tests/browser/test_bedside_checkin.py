"""Check-in for a returning patient, a high baseline that must be confirmed at the start, the supervisor
call, and changes made on another device appearing at the bedside without a reload."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.helpers import LiveApi, ago, minute_now, sign_in_page, watched_page


def test_a_returning_patient_is_found_and_a_high_baseline_start_needs_confirming(browser, live_server):
    api = LiveApi(live_server)
    patient = api.patient(mrn="MRN-R0042", family_name="Tanaka", given_name="Hiro", weight_kg=74)
    first = api.session(patient_id=patient["id"], series_number=1)
    api.to(first["id"], "aborted", reason="patient unwell on arrival")
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto("/sessions/new")
        page.get_by_label("Find a patient by MRN or name").fill("tanaka")
        page.get_by_role("button", name="Choose Tanaka, Hiro · MRN-R0042 · born 1979-03-14").click()
        expect(page.locator("#patient-chosen")).to_contain_text("Patient: Tanaka, Hiro · MRN-R0042")
        expect(page.locator("#new-patient")).to_be_hidden()
        expect(page.get_by_label("Session number in the course")).to_have_value("2")
        expect(page.get_by_label("Weight kg")).to_have_value("74")
        page.get_by_label("Chair").fill("4")
        page.get_by_label("Dose mg", exact=True).fill("37")
        expect(page.get_by_label("Dose mg/kg")).to_have_value("0.5")
        page.get_by_label("SBP").fill("152")
        page.get_by_label("DBP").fill("88")
        expect(page.locator("#baseline-warning")).to_have_text(
            "Baseline BP 152/88 is above 140/90: starting the infusion will need confirming.")
        page.get_by_role("button", name="Create session").click()
        page.wait_for_url(re.compile(r"/sessions/\d+$"))
        session_id = int(page.url.rsplit("/", 1)[1])

        page.get_by_role("button", name="Start infusion").click()
        prompt = page.locator("#transition-prompt")
        expect(prompt).to_contain_text("baseline BP is high (SBP 152 > 140); confirm to start the infusion")
        expect(page.locator(".state")).to_have_text("Baseline")
        prompt.get_by_role("button", name="Confirm and start infusion").click()
        expect(page.locator(".state")).to_have_text("Infusing")
        expect(prompt).to_be_hidden()

        page.get_by_label("Text", exact=True).fill("BP rising, patient anxious")
        page.get_by_role("button", name="Call supervisor").click()
        expect(page.locator("#note-form .form-status")).to_contain_text("Supervisor called at")
        expect(page.locator(".note-escalation")).to_contain_text(
            "Supervisor called to chair 4: BP rising, patient anxious")
        alerts = page.locator("[data-panel=alerts]")
        expect(alerts).to_contain_text("Escalation: Supervisor called to chair 4")
        alerts.locator("li", has_text="Escalation").get_by_role("button", name="Acknowledge").click()
        expect(alerts.locator("li", has_text="Escalation").get_by_role("button", name="Acknowledge")).to_have_count(0)

    record = api.record(session_id)
    assert (record["patient_id"], record["series_number"], record["dose_mg"], record["dose_mg_per_kg"]) == (
        patient["id"], 2, 37, 0.5)
    assert [(t["to"], t["reason"]) for t in record["transitions"]] == [("baseline", None), ("infusing", None)]
    assert [(a["key"], a["acknowledged_by"]) for a in record["alerts"] if a["key"] == "escalation"] == [
        ("escalation", "nurse")]
    assert [(n["kind"], n["text"]) for n in record["notes"]] == [
        ("escalation", "Supervisor called to chair 4: BP rising, patient anxious")]


def test_an_esketamine_check_in_asks_for_the_lot_and_shows_the_devices(browser, live_server):
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto("/sessions/new")
        expect(page.get_by_label("Lot number")).to_be_hidden()
        page.get_by_label("Drug").select_option("esketamine")
        expect(page.get_by_label("Route")).to_have_value("intranasal")
        expect(page.get_by_label("Lot number")).to_be_visible()
        page.get_by_label("Dose mg", exact=True).fill("84")
        expect(page.locator("#rate")).to_have_text("Nasal spray: 84 mg, 3 devices of 28 mg")


def test_a_change_made_on_another_device_appears_without_a_reload(browser, live_server):
    api = LiveApi(live_server)
    t = minute_now()
    session = api.session(chair="6")
    api.to(session["id"], "baseline", ago(20, t))
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{session['id']}")
        expect(page.locator(".state")).to_have_text("Baseline")
        api.vitals(session["id"], {"taken_at": ago(2, t).isoformat(), "hr": 66, "sbp": 118, "dbp": 74})
        api.to(session["id"], "infusing", ago(1, t))
        expect(page.locator(".state")).to_have_text("Infusing")
        expect(page.locator("[data-panel=vitals] .vitals-row [data-field=hr]")).to_have_text(["66"])
        expect(page.get_by_role("button", name="Pause infusion")).to_be_visible()
