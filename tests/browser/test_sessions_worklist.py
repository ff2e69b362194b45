"""/sessions finds any session by date and patient; a clinician signs from /worklist and the row leaves live."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from tests.helpers import PASSWORDS, ZONE, LiveApi, ago, sign_in_page, watched_page


def dosed(api: LiveApi, family_name: str, days_ago: int) -> int:
    """A session of a new patient, first dosed `days_ago` days ago (it is listed on that day)."""
    patient = api.patient(family_name=family_name, given_name="Aiko")
    sid = api.session(patient_id=patient["id"])["id"]
    start = ago(60 * 24 * days_ago)
    api.to(sid, "baseline", start - timedelta(minutes=5))
    api.to(sid, "infusing", start)
    return sid


def test_a_session_is_found_by_its_date_and_patient(browser, live_server):
    api = LiveApi(live_server)
    wanted = dosed(api, "Nakamura", 3)
    dosed(api, "Nakamura", 10)  # same patient name, another day
    dosed(api, "Ferreira", 3)  # same day, another patient
    day = ago(60 * 24 * 3).astimezone(ZONE).date().isoformat()
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto("/sessions")
        page.fill("input[name=from]", day)
        page.fill("input[name=to]", day)
        page.fill("input[name=patient]", "nakamura")
        page.click("form.filters button[type=submit]")
        rows = page.locator("table.sessions-table tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-session-id", str(wanted))
        expect(rows.first).to_contain_text("Nakamura, Aiko")
        rows.first.get_by_role("link", name=re.compile("^Record")).click()
        page.wait_for_url(f"**/sessions/{wanted}/record")
        page.go_back()
        rows.first.get_by_role("link", name=re.compile("^Bedside")).click()
        page.wait_for_url(f"**/sessions/{wanted}")


def test_a_clinician_signs_from_the_worklist_and_the_record_leaves_it_live(browser, live_server):
    api = LiveApi(live_server)
    ended = api.session()["id"]
    api.to(ended, "aborted", reason="patient unwell on arrival")
    waiting = api.session()["id"]
    api.to(waiting, "aborted", reason="rebooked")
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "clinician", fresh=False)
        page.goto("/worklist")
        page.evaluate("window.notReloaded = true")
        row = page.locator(f".to-sign li[data-session-id='{ended}']")
        expect(page.locator(f".to-sign li[data-session-id='{waiting}']")).to_be_visible()
        count = int(page.locator("#worklist-count").inner_text())
        row.locator("input[name=password]").fill(PASSWORDS["clinician"])
        row.get_by_role("button", name=re.compile("^Sign")).click()
        expect(row).to_have_count(0)  # gone without a reload, from the live event of the signature
        expect(page.locator(f".to-sign li[data-session-id='{waiting}']")).to_be_visible()
        expect(page.locator("#worklist-count")).to_have_text(str(count - 1))
        assert page.evaluate("window.notReloaded") is True
    assert api.record(ended)["signature"]["signed_by"] == "clinician"
