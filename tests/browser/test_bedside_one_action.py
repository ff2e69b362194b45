"""One action, one key (issue 10 point 12): a double-clicked "Save vitals" stores one record, and the
confirmation of an unusual value re-sends the same action under the same Idempotency-Key. The check-in
page asks to confirm an unusual dose (issue 10 point 8)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.helpers import LiveApi, ago, minute_now, sign_in_page, watched_page


def infusing_session(api) -> int:
    t = minute_now()
    session = api.session(chair="7")
    api.to(session["id"], "baseline", ago(30, t))
    api.to(session["id"], "infusing", ago(25, t))
    return session["id"]


def keys_sent(page, path_end: str) -> list[str]:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.headers.get("idempotency-key", "")) if r.method == "POST"
            and r.url.endswith(path_end) else None)
    return sent


def test_a_double_clicked_save_vitals_stores_one_record(browser, live_server):
    api = LiveApi(live_server)
    session_id = infusing_session(api)
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{session_id}")
        form = page.locator("#vitals-form")
        form.get_by_label("HR").fill("84")
        form.get_by_label("SBP").fill("128")
        form.get_by_label("DBP").fill("80")
        sent = keys_sent(page, f"/api/sessions/{session_id}/vitals")
        # Two presses in one go, before any answer can come back: what a double click on a slow network is.
        page.evaluate("() => { const b = document.querySelector('#vitals-form button[type=submit]');"
                      " b.click(); b.click(); }")
        expect(form.locator(".form-status")).to_contain_text("Saved")
        page.get_by_role("button", name="Save vitals").dblclick()  # an empty form: nothing more is sent
        expect(form.locator(".form-status")).to_have_text("Enter at least one measurement.")
    assert [v["hr"] for v in api.record(session_id)["vitals"]] == [84]
    assert len(sent) == 1


def test_confirming_an_unusual_value_sends_the_same_action_under_the_same_key(browser, live_server):
    api = LiveApi(live_server)
    session_id = infusing_session(api)
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{session_id}")
        form = page.locator("#vitals-form")
        form.get_by_label("HR").fill("225")
        sent = keys_sent(page, f"/api/sessions/{session_id}/vitals")
        form.get_by_role("button", name="Save vitals").click()
        form.get_by_role("button", name="Confirm and save").dblclick()
        expect(form.locator(".form-status")).to_contain_text("Saved")
    assert [v["hr"] for v in api.record(session_id)["vitals"]] == [225]
    assert len(sent) == 2 and sent[0] == sent[1] and sent[0]


def test_check_in_asks_to_confirm_an_unusual_dose(browser, live_server):
    api = LiveApi(live_server)
    patient = api.patient(mrn="MRN-D0028", family_name="Moreau", given_name="Lea", weight_kg=61)
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto("/sessions/new")
        page.get_by_label("Find a patient by MRN or name").fill("MRN-D0028")
        page.get_by_role("button", name=re.compile("Choose Moreau, Lea")).click()
        page.get_by_label("Chair").fill("6")
        page.get_by_label("Dose mg/kg").fill("1.5")
        page.get_by_role("button", name="Create session").click()
        expect(page.locator("#new-session .confirm-area")).to_contain_text(
            "Dose 1.5 is unusual (usual 0.1–1.0 mg/kg)")
        page.get_by_role("button", name="Confirm and save").click()
        page.wait_for_url(re.compile(r"/sessions/\d+$"))
        session_id = int(page.url.rsplit("/", 1)[1])
    record = api.record(session_id)
    assert (record["patient_id"], record["dose_mg_per_kg"], record["dose_mg"]) == (patient["id"], 1.5, 91.5)


def test_a_double_clicked_score_stores_one_assessment(browser, live_server):
    api = LiveApi(live_server)
    session_id = infusing_session(api)
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{session_id}")
        aldrete = page.locator("details.instrument", has_text="Aldrete")
        aldrete.locator("summary").click()
        for item, score in (("Activity", "2"), ("Respiration", "2"), ("Circulation", "2"), ("Consciousness", "2"),
                            ("SpO2", "2")):
            aldrete.get_by_label(item, exact=True).select_option(score)
        page.evaluate("() => { const b = [...document.querySelectorAll('details.instrument button[type=submit]')]"
                      ".find((x) => x.textContent.includes('Aldrete')); b.click(); b.click(); }")
        expect(aldrete.locator(".form-status")).to_contain_text("Saved Aldrete (modified) 10")
    assert [a["total"] for a in api.record(session_id)["assessments"]] == [10]
