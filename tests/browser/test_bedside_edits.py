"""Correcting and closing a record at the bedside: amend and void, impossible values, signing, and the
esketamine observation time."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import LiveApi, ago, minute_now, sign_in_page, typed, watched_page


@pytest.fixture
def api(live_server):
    return LiveApi(live_server)


def infusing_session(api, t, **fields) -> int:
    session = api.session(**fields)
    api.to(session["id"], "baseline", ago(30, t))
    api.vitals(session["id"], {"taken_at": ago(28, t).isoformat(), "hr": 76, "sbp": 122, "dbp": 78})
    api.to(session["id"], "infusing", ago(25, t))
    return session["id"]


def test_amending_from_the_table_keeps_the_original_struck_through(browser, live_server, api):
    t = minute_now()
    session_id = infusing_session(api, t)
    api.vitals(session_id, {"taken_at": ago(10, t).isoformat(), "hr": 80, "sbp": 120, "dbp": 80})
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{session_id}")
        clock = ago(10, t).strftime("%H:%M")
        page.get_by_role("button", name=f"Amend vitals at {clock}").click()
        dialog = page.locator("#amend-dialog")
        expect(dialog.get_by_label("SBP")).to_have_value("120")
        dialog.get_by_label("SBP").fill("132")
        dialog.get_by_role("button", name="Save amendment").click()
        expect(dialog.locator("#a-reason-error")).to_have_text("A reason is required to amend")
        dialog.get_by_label("Reason for the amendment").fill("transcription error")
        dialog.get_by_role("button", name="Save amendment").click()
        expect(dialog).to_be_hidden()

        rows = page.locator("[data-panel=vitals] .vitals-row")
        expect(rows).to_have_count(3)
        original, amendment = rows.nth(1), rows.nth(2)
        expect(original).to_have_class("vitals-row status-amended")
        expect(original.locator("[data-field=sbp]")).to_have_text("120")
        expect(original.locator("[data-field=sbp]")).to_have_css("text-decoration-line", "line-through")
        expect(original.locator(".status")).to_have_text("Amended")
        expect(original.get_by_role("button", name="Amend")).to_have_count(0)
        expect(amendment.locator("[data-field=sbp]")).to_have_text("132")
        expect(amendment.locator(".status")).to_have_text("Amendment (transcription error)")
        expect(amendment.locator("[data-field=sbp]")).to_have_css("text-decoration-line", "none")

        page.get_by_role("button", name=f"Void vitals at {clock}").click()
        void = page.locator("#void-dialog")
        void.get_by_label("Reason").fill("wrong patient")
        void.get_by_role("button", name="Void record").click()
        expect(rows.nth(2)).to_have_class("vitals-row status-void")
        expect(rows.nth(2).locator(".status")).to_have_text("Void: wrong patient")

    statuses = [(v["sbp"], v["status"], v["reason"], v["void_reason"]) for v in api.record(session_id)["vitals"]]
    assert statuses == [(122, "current", None, None), (120, "amended", None, None),
                        (132, "void", "transcription error", "wrong patient")]


def test_an_impossible_value_shows_the_fields_message_and_keeps_what_was_typed(browser, live_server, api):
    t = minute_now()
    session_id = infusing_session(api, t)
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{session_id}")
        form = page.locator("#vitals-form")
        form.get_by_label("HR").fill("400")
        form.get_by_label("SBP").fill("120")
        form.get_by_label("Temperature").fill("98.6")
        form.get_by_role("button", name="Save vitals").click()
        expect(form.locator("#v-hr-error")).to_have_text("HR must be above 0 and at most 300 /min")
        expect(form.locator("#v-temp_c-error")).to_have_text(
            "Temperature 98.6 looks like °F; send it as temp_f or in °C")
        expect(form.get_by_label("HR")).to_have_value("400")
        expect(form.get_by_label("HR")).to_have_attribute("aria-invalid", "true")
        expect(form.get_by_label("HR")).to_be_focused()
        expect(form.get_by_label("SBP")).to_have_value("120")
        expect(form.get_by_label("Temperature")).to_have_value("98.6")

        form.get_by_label("HR").fill("8o")
        form.get_by_label("Temperature").fill("37")
        form.get_by_role("button", name="Save vitals").click()
        expect(form.locator("#v-hr-error")).to_have_text("HR must be a number")
        expect(form.get_by_label("HR")).to_have_value("8o")

        form.get_by_label("HR").fill("80")
        form.get_by_role("button", name="Save vitals").click()
        expect(form.get_by_label("HR")).to_have_value("")
        expect(form.locator("#v-hr-error")).to_be_hidden()
    assert [(v["hr"], v["sbp"], v["temp_c"]) for v in api.record(session_id)["vitals"]] == [
        (76, 122, None), (80, 120, 37)]


def test_a_clinician_signs_and_the_page_refuses_further_edits_but_takes_an_addendum(browser, live_server, api):
    t = minute_now()
    session_id = infusing_session(api, t)
    api.to(session_id, "recovery", ago(5, t))
    api.to(session_id, "aborted", ago(4, t), reason="patient asked to go home")  # only a finished session is signed
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "clinician", fresh=False)
        page.goto(f"/sessions/{session_id}")
        review = page.locator("#sign-form")
        review.get_by_label("Meaning of the signature").select_option("Reviewed and approved")
        review.get_by_label("Your password").fill("not-my-password")
        review.get_by_role("button", name="Sign").click()
        expect(review.locator("#sign-password-error")).to_have_text("is not right")
        review.get_by_label("Your password").fill("clinician-password-1")
        review.get_by_role("button", name="Sign").click()

        expect(page.locator(".locked")).to_contain_text("Signed by clinician")
        expect(page.locator(".locked")).to_contain_text("The record is locked: add an addendum")
        expect(page.get_by_role("button", name="Save vitals")).to_be_disabled()
        expect(page.get_by_role("button", name="Record side effect")).to_be_disabled()
        expect(page.locator("#vitals-form [name=hr]")).to_be_disabled()
        expect(page.locator("[data-transition]")).to_have_count(0)
        expect(page.get_by_role("button", name="Amend")).to_have_count(0)
        expect(page.locator("#sign-form")).to_be_hidden()
        expect(page.locator(".transition-controls")).to_be_hidden()

        page.get_by_label("Addendum text").fill("Reviewed BP trend with the patient's psychiatrist.")
        page.get_by_role("button", name="Add addendum").click()
        expect(page.locator(".note-addendum")).to_contain_text("Reviewed BP trend with the patient's psychiatrist.")

    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{session_id}")
        expect(page.get_by_role("button", name="Save vitals")).to_be_disabled()
        expect(page.locator("#addendum-form")).to_be_visible()
    refused = api.call("POST", f"/api/sessions/{session_id}/vitals", {"hr": 70}, expect=409)
    assert refused["error"]["code"] == "conflict"


def test_esketamine_discharge_at_90_minutes_is_refused_and_a_clinician_override_with_a_reason_is_accepted(
        browser, live_server, api):
    t = minute_now()
    session = api.session(drug="esketamine", route="intranasal", dose_mg=84, dose_mg_per_kg=None,
                          planned_minutes=None, lot_number="LOT-7781")
    session_id = session["id"]
    api.to(session_id, "baseline", ago(95, t))
    api.vitals(session_id, {"taken_at": ago(93, t).isoformat(), "hr": 74, "sbp": 124, "dbp": 80, "spo2": 98})
    api.to(session_id, "infusing", ago(90, t))
    api.vitals(session_id, {"taken_at": ago(50, t).isoformat(), "hr": 78, "sbp": 138, "dbp": 88, "spo2": 97})
    api.to(session_id, "recovery", ago(60, t))
    api.vitals(session_id, {"taken_at": ago(15, t).isoformat(), "hr": 72, "sbp": 126, "dbp": 82, "spo2": 98})
    api.to(session_id, "ready", ago(10, t))

    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{session_id}")
        rems = page.locator("[data-panel=rems]")
        expect(rems).to_contain_text("Lot LOT-7781")
        expect(rems.locator(".checkpoint")).to_have_text([
            f"Pre-dose BP: 124/80 at {ago(93, t):%H:%M}",
            f"BP about 40 minutes after dosing: 138/88 at {ago(50, t):%H:%M}",
            f"Pre-discharge BP: 126/82 at {ago(15, t):%H:%M}"], use_inner_text=True)
        page.get_by_label("Time of the state change").fill(typed(t))
        page.get_by_role("button", name="Discharge", exact=True).click()
        prompt = page.locator("#transition-prompt")
        expect(prompt).to_contain_text("Discharge refused: esketamine needs 120 minutes of observation from the "
                                       "first dose; 90 so far")
        expect(prompt).to_contain_text("only a clinician may override")
        expect(prompt.get_by_role("button", name="Override and discharge")).to_have_count(0)
        expect(page.locator(".state")).to_have_text("Ready for discharge")

    with watched_page(browser, live_server) as page:
        sign_in_page(page, "clinician", fresh=False)
        page.goto(f"/sessions/{session_id}")
        page.get_by_label("Time of the state change").fill(typed(t))
        page.get_by_role("button", name="Discharge", exact=True).click()
        prompt = page.locator("#transition-prompt")
        expect(prompt).to_contain_text("90 so far")
        prompt.get_by_role("button", name="Override and discharge").click()
        expect(prompt.locator("#override-reason-error")).to_have_text("A reason is required to override")
        prompt.get_by_label("Reason for discharging early").fill("sedation resolved; escort waiting; Dr review")
        prompt.get_by_role("button", name="Override and discharge").click()
        expect(page.locator(".state")).to_have_text("Discharged")
        expect(page.locator(".timeline")).to_contain_text("(clinician override)")

    last = api.record(session_id)["transitions"][-1]
    assert (last["to"], last["override"], last["reason"], last["entered_by"]) == (
        "discharged", True, "sedation resolved; escort waiting; Dr review", "clinician")
    assert api.record(session_id)["durations"]["observation"] == 90.0


def test_scores_medications_and_an_abort_that_needs_its_reason(browser, live_server, api):
    t = minute_now()
    session_id = infusing_session(api, t)
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{session_id}")
        cadss = page.locator("details.instrument", has_text="CADSS")
        cadss.locator("summary").first.click()
        cadss.locator("summary", has_text="Or score the 23 items").click()
        for item, score in (("Item 1", "2"), ("Item 2", "3"), ("Item 3", "1")):
            cadss.get_by_label(item, exact=True).fill(score)
        expect(cadss.get_by_label("Total (0–92)")).to_have_value("6")
        expect(cadss.locator("output")).to_have_text("Total 6 of 92 so far (20 to score)")
        cadss.get_by_role("button", name="Save CADSS").click()
        expect(cadss.locator("#cadss-item_4-error")).to_have_text("Score this item")
        for n in range(4, 24):
            cadss.get_by_label(f"Item {n}", exact=True).fill("0")
        cadss.get_by_role("button", name="Save CADSS").click()
        expect(cadss.locator(".form-status")).to_have_text("Saved CADSS 6.")

        padss = page.locator("details.instrument", has_text="PADSS")
        padss.locator("summary").click()
        for item, score in (("Vital signs", "2"), ("Ambulation", "1"), ("Nausea and vomiting", "1"), ("Pain", "2"),
                            ("Bleeding", "2")):
            padss.get_by_label(item, exact=True).select_option(score)
        expect(padss.locator("output")).to_have_text("Total 8 of 10 · does not meet discharge criteria (needs 9)")

        notes = page.locator("#note-form")
        notes.get_by_label("Kind").select_option("medication")
        notes.get_by_label("Medication", exact=True).fill("midazolam")
        notes.get_by_label("Dose", exact=True).fill("1 mg")
        notes.get_by_label("Route").fill("IV")
        notes.get_by_role("button", name="Save note").click()
        expect(page.locator(".note-medication")).to_contain_text("Medication midazolam 1 mg IV: midazolam 1 mg IV")

        page.get_by_role("button", name="Abort session").click()
        dialog = page.locator("#reason-dialog")
        expect(dialog.get_by_role("heading")).to_have_text("Abort session: reason")
        dialog.get_by_role("button", name="Abort session").click()
        expect(dialog.locator("#transition-reason-error")).to_have_text("A reason is required")
        dialog.get_by_label("Reason").fill("vasovagal episode, infusion stopped")
        dialog.get_by_role("button", name="Abort session").click()
        expect(page.locator(".state")).to_have_text("Aborted")
        expect(page.locator("[data-transition]")).to_have_count(0)  # final; late entries stay possible until signed
        expect(page.get_by_label("Time of the state change")).to_be_hidden()

    record = api.record(session_id)
    assert [(a["instrument"], a["total"]) for a in record["assessments"]] == [("cadss", 6)]
    assert [(n["kind"], n["medication"]) for n in record["notes"]] == [
        ("medication", {"name": "midazolam", "dose": "1 mg", "route": "IV"})]
    assert (record["state"], record["transitions"][-1]["reason"]) == ("aborted", "vasovagal episode, infusion stopped")
