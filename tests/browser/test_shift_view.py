"""A nurse's shift in headless Chromium: the dashboard narrowed to her chairs in two clicks and kept for her
login, and the handover sheet handed to the nurse taking over, accepted by her, in the audit trail."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import LiveApi, sign_in_page

SECOND_NURSE = ("nurse-b", "nurse-b-password-1")


@pytest.fixture(scope="module")
def second_nurse(live_server):
    live_server.cli("user", "add", SECOND_NURSE[0], "--role", "nurse", "--password-stdin", stdin=SECOND_NURSE[1])
    return SECOND_NURSE


@pytest.fixture
def clinic(live_server):
    clinic = LiveApi(live_server)
    for session in clinic.get("/api/sessions?state=active&limit=1000")["items"]:
        clinic.to(session["id"], "aborted", reason="test over")
    ids = {}
    for chair in ("1", "2", "3"):
        ids[chair] = clinic.session(chair=chair)["id"]
        clinic.to(ids[chair], "baseline")
    return ids


def test_two_clicks_narrow_the_dashboard_to_her_chairs_and_it_is_kept(browser, page, clinic, live_server):
    sign_in_page(page, "nurse", fresh=False)
    page.goto("/")
    expect(page.locator(".tile:visible")).to_have_count(3)
    page.click("#my-chairs")
    page.click('#chair-picker button[data-chair="2"]')
    expect(page.locator(".tile:visible")).to_have_count(1)
    expect(page.locator(".tile:visible .chair")).to_have_text("Chair 2")
    expect(page.locator("#narrowed")).to_contain_text("Your chairs: 2 (2 other chairs not shown)")

    other = browser.new_context(base_url=live_server.url)  # another screen, the same nurse
    screen = other.new_page()
    sign_in_page(screen, "nurse")
    screen.goto("/")
    expect(screen.locator(".tile:visible .chair")).to_have_text(["Chair 2"])
    other.close()

    page.click("#every-chair")
    expect(page.locator(".tile:visible")).to_have_count(3)


def test_a_handover_is_accepted_by_the_nurse_taking_over_and_audited(browser, page, clinic, live_server,
                                                                      second_nurse):
    sign_in_page(page, "nurse", fresh=False)
    page.goto("/handover")
    form = page.locator("#hand-over")
    form.locator("select[name=to]").select_option(second_nurse[0])
    form.locator('input[name=chairs][value="3"]').uncheck()
    form.locator("input[name=note]").fill("chair 1 nauseous at 13:50")
    form.locator("button[type=submit]").click()
    expect(page.locator("#handovers")).to_contain_text(f"waiting for {second_nurse[0]}")

    other = browser.new_context(base_url=live_server.url)
    taking_over = other.new_page()
    sign_in_page(taking_over, second_nurse[0], second_nurse[1])
    taking_over.goto("/handover")
    offer = taking_over.locator("#handovers li", has_text="From nurse")
    expect(offer).to_contain_text("chairs 1, 2")
    offer.locator("button[data-accept]").click()
    expect(taking_over.locator("#handovers")).to_contain_text("accepted at")
    taking_over.goto("/")
    expect(taking_over.locator(".tile:visible .chair")).to_have_text(["Chair 1", "Chair 2"])
    other.close()

    expect(page.locator("#handovers")).to_contain_text("accepted at")  # the giver's page heard it live
    audit = LiveApi(live_server).get("/api/audit?limit=50", role="clinician")["items"]
    handed = [(e["action"], e["actor"], (e["after"] or {}).get("chairs")) for e in audit if e["entity"] == "handover"]
    assert handed[:2] == [("handover.accept", second_nurse[0], ["1", "2"]), ("handover.give", "nurse", ["1", "2"])]
