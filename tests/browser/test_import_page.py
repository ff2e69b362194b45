"""The import page and the REMS pages in a real browser: choose or drop a file, preview it, import it with
progress, read the report; print the REMS form and mark it submitted; no serious accessibility problems."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.helpers import SAMPLES as DATA
from tests.helpers import LiveApi, ago, axe_violations, minute_now, sign_in_page, watched_page

PHILIPS = DATA / "IHEPCD__ihe-pcd-tf-2020" / "PCD01_E.1.1_philips_physio_monitor.hl7"
MIMIC = DATA / "MIT-LCP__wfdb-python" / "derived_s25047-2704-05-04-10-44n.csv"


@pytest.fixture
def nurse_page(browser, live_server):
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse")
        yield page


def open_import(page, session_id: int) -> None:
    page.goto(f"/sessions/{session_id}/import")
    expect(page.get_by_role("heading", name=re.compile("^Import observations"))).to_be_visible()


def test_preview_then_import_a_monitor_message(nurse_page, live_server):
    page, api = nurse_page, LiveApi(live_server)
    session = api.session()
    open_import(page, session["id"])
    page.get_by_label("Drop a file here").set_input_files(str(PHILIPS))
    expect(page.locator("#import-file-name")).to_have_text(f"{PHILIPS.name}, {PHILIPS.stat().st_size:,} bytes")
    page.get_by_role("button", name="Preview import").click()
    expect(page.locator(".form-status")).to_have_text("Ready: 2 readings would be imported.")
    rows = page.locator("#import-preview tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("OBX 4")
    expect(rows.nth(0).locator("td").nth(3)).to_have_text("117")
    expect(rows.nth(1).locator("td").last).to_have_text("new")
    assert api.record(session["id"])["vitals"] == []  # a preview stores nothing

    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".form-status")).to_have_text("Imported 2 readings (0 already there).")
    expect(page.locator("#import-progress-label")).to_have_text("Done")
    expect(page.locator("#import-report .counts")).to_contain_text("2 imported")
    stored = [(v["taken_at"], v["sbp"], v["dbp"], v["hr"]) for v in api.record(session["id"])["vitals"]]
    assert stored == [("2015-01-22T11:50:00.000Z", 117, 82, None), ("2015-01-22T18:26:56.000Z", None, None, 80)]

    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".form-status")).to_have_text("Imported 0 readings (2 already there).")
    assert axe_violations(page) == []


def test_a_dropped_de_identified_file_is_refused_until_aligned_and_confirmed(nurse_page, live_server):
    page, api = nurse_page, LiveApi(live_server)
    session = api.session()
    open_import(page, session["id"])
    dropped = page.evaluate_handle("""([name, text]) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([text], name, {type: 'text/csv'}));
        return transfer;
    }""", [MIMIC.name, MIMIC.read_text()])
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": dropped})
    expect(page.locator("#import-file-name")).to_contain_text(MIMIC.name)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".form-status")).to_contain_text("69 readings from 2704-05-04T09:44:18.529Z on are in the "
                                                         "future")
    expect(page.locator("#import-report .report-lists")).to_contain_text("Rejected (1)")
    assert api.record(session["id"])["vitals"] == []

    start = minute_now() - timedelta(hours=2)
    page.get_by_label("Move the first reading to").fill(start.strftime("%Y-%m-%d %H:%M"))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".form-status")).to_contain_text("Nothing was imported yet: unusual values need confirm")
    page.get_by_label("Confirm unusual values").check()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".form-status")).to_have_text("Imported 69 readings (0 already there).")
    first = api.record(session["id"])["vitals"][0]
    assert (first["taken_at"], first["hr"], first["rr"]) == (
        start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"), 101.3, 16.5)


def test_a_large_file_shows_its_progress(nurse_page, live_server, tmp_path):
    page, api = nurse_page, LiveApi(live_server)
    session = api.session()
    rows = 50_000
    begin = datetime.now(timezone.utc) - timedelta(seconds=5 * rows + 60)
    path = tmp_path / "long-export.csv"
    path.write_text("taken_at,hr,sbp,dbp,spo2,rr\n" + "".join(
        f"{(begin + timedelta(seconds=5 * i)).strftime('%Y-%m-%dT%H:%M:%SZ')},{60 + i % 30},{110 + i % 40},"
        f"{70 + i % 15},{95 + i % 5},{12 + i % 6}\n" for i in range(rows)))
    open_import(page, session["id"])
    page.evaluate("""() => {
        window.progressSeen = [];
        const label = document.getElementById('import-progress-label');
        new MutationObserver(() => window.progressSeen.push(label.textContent))
            .observe(label, {childList: true, characterData: true, subtree: true});
    }""")
    page.get_by_label("Drop a file here").set_input_files(str(path))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".form-status")).to_have_text("Imported 50000 readings (0 already there).", timeout=60_000)
    seen = page.evaluate("window.progressSeen")
    assert "Uploading" in seen
    assert any(re.fullmatch(r"(Checking|Storing): [\d,]+ of 50,000 readings", text) for text in seen), seen
    assert seen[-1] == "Done"
    assert len(api.record(session["id"])["vitals"]) == rows


def test_a_signed_session_offers_no_import(nurse_page, live_server):
    page, api = nurse_page, LiveApi(live_server)
    session = api.session()
    api.post(f"/api/sessions/{session['id']}/transitions", {"to": "aborted", "reason": "patient declined"})
    api.post(f"/api/sessions/{session['id']}/sign", {"password": "clinician-password-1", "meaning": "Reviewed"},
             role="clinician", expect=200)
    open_import(page, session["id"])
    expect(page.locator(".locked")).to_have_text("This session is signed and locked: nothing can be imported into it.")
    expect(page.get_by_role("button", name="Import", exact=True)).to_have_count(0)


def test_the_rems_form_prints_and_is_marked_submitted(browser, live_server):
    api = LiveApi(live_server)
    t = minute_now()
    session = api.session(drug="esketamine", route="intranasal", dose_mg=56, dose_mg_per_kg=None,
                          planned_minutes=None, lot_number="LOT-9001")
    sid = session["id"]
    api.to(sid, "baseline", ago(150, t))
    api.vitals(sid, {"taken_at": ago(146, t).isoformat(), "hr": 70, "sbp": 124, "dbp": 78, "spo2": 98, "rr": 14})
    api.to(sid, "infusing", ago(140, t))
    api.to(sid, "recovery", ago(135, t))
    api.vitals(sid, {"taken_at": ago(100, t).isoformat(), "sbp": 146, "dbp": 90, "hr": 82})
    api.vitals(sid, {"taken_at": ago(15, t).isoformat(), "sbp": 126, "dbp": 80, "hr": 72})
    api.to(sid, "ready", ago(10, t))
    api.to(sid, "discharged", ago(5, t))
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "admin")
        page.goto("/rems")
        form_link = page.locator(f"a[href='/sessions/{sid}/rems']")
        expect(form_link).to_have_count(1)
        form_link.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Spravato REMS Patient Monitoring Form")
        expect(page.locator("main")).to_contain_text("56 mg (2 devices)")
        expect(page.locator("main")).to_contain_text("146/90 mmHg")
        expect(page.locator("main")).to_contain_text("135 min")  # first dose to discharge
        expect(page.get_by_role("button", name="Print form")).to_be_visible()
        assert axe_violations(page) == []
        page.emulate_media(media="print")
        expect(page.get_by_role("button", name="Mark form submitted")).to_be_hidden()
        page.emulate_media(media="screen")
        page.get_by_label("Confirmation reference").fill("RX-77")
        page.get_by_role("button", name="Mark form submitted").click()
        expect(page.locator(".rems-status")).to_contain_text("reference RX-77")
        expect(page.locator(".rems-status")).to_contain_text("marked by admin")
        page.goto("/rems")
        expect(form_link).to_have_count(0)
        assert sid not in [row["session_id"] for row in api.get("/api/rems")["items"]]
        assert axe_violations(page) == []
