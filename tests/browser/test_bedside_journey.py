"""A nurse's whole session in a real browser: check-in to discharge, then the printed record.

The nurse types the clinical times as late entries (the pages take "YYYY-MM-DD HH:MM" clinic
time), so the durations the record shows are exact: 40 minutes infusing with a 5 minute pause,
25 minutes of recovery, 5 minutes from ready to discharge.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.helpers import LiveApi, ago, minute_now, sign_in_page, typed, watched_page


def check_in(page, t) -> int:
    """New patient, plan, checklist and baseline vitals on /sessions/new; returns the session id."""
    page.goto("/sessions/new")
    page.get_by_label("MRN", exact=True).fill("MRN-J0001")
    page.get_by_label("Family name").fill("Lindqvist")
    page.get_by_label("Given name").fill("Erik")
    page.get_by_label("Birth date").fill("1986-11-02")
    page.get_by_label("Chair").fill("2")
    page.get_by_label("Session number in the course").fill("1")
    page.get_by_label("Indication").fill("Treatment-resistant depression")
    page.get_by_label("Weight kg").fill("80")
    page.get_by_label("Dose mg/kg").fill("0.5")
    expect(page.get_by_label("Dose mg", exact=True)).to_have_value("40")
    expect(page.locator("#rate")).to_have_text("Rate: 60 mg/h (1 mg/min) over 40 minutes")
    page.get_by_label("Lamotrigine").check()
    page.get_by_label("Escort home confirmed").check()
    page.get_by_label("Consent recorded").check()
    page.locator("#b-taken_at").fill(typed(ago(80, t)))
    for label, value in (("HR", "72"), ("SBP", "128"), ("DBP", "82"), ("SpO2", "98"), ("RR", "14"),
                         ("Temperature", "36.6")):
        page.get_by_label(label).fill(value)
    expect(page.locator("#baseline-warning")).to_have_text("")
    page.get_by_role("button", name="Create session").click()
    page.wait_for_url(re.compile(r"/sessions/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def change_state(page, button: str, at, reason: str | None = None) -> None:
    page.get_by_label("Time of the state change").fill(typed(at))
    page.get_by_role("button", name=button, exact=True).click()
    if reason is not None:
        dialog = page.locator("#reason-dialog")
        dialog.get_by_label("Reason").fill(reason)
        dialog.get_by_role("button", name=button).click()


def keyboard_vitals(page, at, values: list[str]) -> list[str]:
    """Type a vitals set with the keyboard alone: the time, then Tab and a value per field, then Enter.
    Returns the name of each field the Tab key reached, in order."""
    page.locator("#v-taken_at").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(typed(at))
    reached = []
    for value in values:
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.name"))
        page.keyboard.type(value)
    page.keyboard.press("Enter")
    return reached


def test_a_nurse_runs_a_session_from_check_in_to_discharge_and_prints_the_record(browser, live_server, tmp_path):
    api = LiveApi(live_server)
    t = minute_now()
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse")
        session_id = check_in(page, t)
        expect(page.locator(".state")).to_have_text("Baseline")
        expect(page.get_by_text("Medication flags: lamotrigine")).to_be_visible()

        change_state(page, "Start infusion", ago(75, t))
        expect(page.locator(".state")).to_have_text("Infusing")

        reached = keyboard_vitals(page, ago(65, t), ["88", "134", "86", "97", "16", "36.8", "4", "2"])
        assert reached == ["hr", "sbp", "dbp", "spo2", "rr", "temp_c", "moaas", "pain"]
        expect(page.locator("#vitals-form .form-status")).to_contain_text("Saved")
        expect(page.locator("#vitals-form [name=hr]")).to_be_focused()
        expect(page.locator(".vitals-row").nth(1).locator("[data-field=hr]")).to_have_text("88")

        keyboard_vitals(page, ago(60, t), ["230"])
        prompt = page.locator("#vitals-form .confirm-area")
        expect(prompt).to_contain_text("HR 230 is unusual (usual 30–220 /min); confirm to save")
        expect(page.get_by_role("button", name="Confirm and save")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator(".vitals-row").nth(2).locator("[data-field=hr]")).to_have_text("230")

        effect = page.locator("#side-effect-form")
        effect.get_by_role("button", name="Nausea").click()
        effect.get_by_label("Moderate").check()
        effect.get_by_label("Onset time").fill(typed(ago(55, t)))
        effect.get_by_label("Drug given").fill("ondansetron")
        effect.get_by_label("Dose").fill("4 mg")
        effect.get_by_role("button", name="Record side effect").click()
        effects = page.locator("[data-panel=effects] tbody tr")
        expect(effects).to_have_count(1)
        expect(effects.first).to_contain_text("Nausea")
        expect(effects.first).to_contain_text("moderate")
        expect(effects.first).to_contain_text("ondansetron 4 mg")

        change_state(page, "Pause infusion", ago(50, t), reason="nausea, patient asked for a break")
        expect(page.locator(".state")).to_have_text("Paused")
        change_state(page, "Resume infusion", ago(45, t))
        expect(page.locator(".state")).to_have_text("Infusing")
        change_state(page, "End infusion", ago(30, t))
        expect(page.locator(".state")).to_have_text("Recovery")

        aldrete = page.locator("details.instrument", has_text="Aldrete")
        aldrete.locator("summary").click()
        for item, score in (("Activity", "2"), ("Respiration", "2"), ("Circulation", "2"), ("Consciousness", "2"),
                            ("SpO2", "1")):
            aldrete.get_by_label(item, exact=True).select_option(score)
        expect(aldrete.locator("output")).to_have_text("Total 9 of 10 · meets discharge criteria (9 or more)")
        aldrete.get_by_label("Time").fill(typed(ago(10, t)))
        aldrete.get_by_role("button", name="Save Aldrete (modified)").click()
        expect(aldrete.locator(".form-status")).to_have_text("Saved Aldrete (modified) 9, meets discharge criteria.")

        change_state(page, "Ready for discharge", ago(5, t))
        expect(page.locator(".state")).to_have_text("Ready for discharge")
        change_state(page, "Discharge", t)
        expect(page.locator(".state")).to_have_text("Discharged")

        record = api.record(session_id)
        assert record["durations"] == {"infusion": 40.0, "paused": 5.0, "recovery": 25.0, "discharge_wait": 5.0,
                                       "observation": 75.0, "total": 80.0}
        assert [v["hr"] for v in record["vitals"]] == [72, 88, 230]
        assert record["checklist"] == {"consent": True, "escort_confirmed": True, "medication_flags": ["lamotrigine"],
                                       "weight_kg": 80}
        assert (record["dose_mg"], record["dose_mg_per_kg"], record["series_number"]) == (40, 0.5, 1)
        assert [(e["kind"], e["severity"], e["intervention"]["drug"], e["intervention"]["dose"])
                for e in record["side_effects"]] == [("nausea", "moderate", "ondansetron", "4 mg")]
        assert [(a["instrument"], a["total"], a["meets_discharge_criteria"]) for a in record["assessments"]] == [
            ("aldrete", 9, True)]
        assert [t_["reason"] for t_ in record["transitions"] if t_["to"] == "paused"] == [
            "nausea, patient asked for a break"]

        page.get_by_role("link", name="Printable record").click()
        page.wait_for_url(f"**/sessions/{session_id}/record")
        durations = {d.get_attribute("data-duration"): d.locator("dd").inner_text()
                     for d in page.locator("[data-duration]").all()}
        assert durations == {"infusion": "40 min", "paused": "5 min", "recovery": "25 min",
                             "discharge_wait": "5 min", "observation": "75 min", "total": "80 min"}
        flowsheet = page.locator(".flowsheet tbody tr")
        assert [row.locator("[data-field=hr]").inner_text() for row in flowsheet.all()] == ["72", "88", "230"]
        assert flowsheet.nth(1).locator("[data-field=temp_c]").inner_text() == "36.8"
        expect(page.locator("section", has_text="Side effects and interventions")).to_contain_text("ondansetron 4 mg")
        expect(page.locator("section", has_text="Assessments").locator("tbody")).to_contain_text("Aldrete")
        expect(page.locator(".timeline tbody tr")).to_have_count(7)
        expect(page.locator(".signatures")).to_contain_text("Not signed.")
        expect(page.locator(".trend-svg polyline")).to_have_count(4)

        for paper in ("A4", "Letter"):
            pdf = page.pdf(format=paper, print_background=False)
            assert pdf.startswith(b"%PDF-")
            assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 1
            (tmp_path / f"record-{paper}.pdf").write_bytes(pdf)
