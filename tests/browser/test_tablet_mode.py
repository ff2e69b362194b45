"""The tablet self-report mode at 768 px by touch: the nurse hands the tablet over from the bedside page,
the patient completes PHQ-9 with item 9 positive, the clinician's dashboard shows the suicidality alert
within a second, the tablet reaches nothing else, and only the nurse's password ends the mode; the
clinician acknowledges the alert from the dashboard only with a comment, which the bedside page shows.
At the bedside a nurse enters the same questionnaire from the keyboard alone."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORDS, LiveApi, axe_violations, sign_in_page, watched_page

pytestmark = pytest.mark.browser


@pytest.fixture
def clinic(live_server):
    return LiveApi(live_server)


def test_patient_completes_phq9_by_touch_and_the_dashboard_shows_the_alert(browser, live_server, clinic):
    other = clinic.patient(family_name="Lindqvist", given_name="Maja")
    clinic.to(clinic.session(patient_id=other["id"], chair="5")["id"], "baseline")
    session = clinic.session(chair="2", indication="depression")["id"]
    clinic.to(session, "baseline")
    with watched_page(browser, live_server) as dashboard, \
            watched_page(browser, live_server, width=768, height=1024, touch=True) as tablet:
        sign_in_page(dashboard, "clinician")
        dashboard.goto("/")
        expect(dashboard.locator(f'.tile[data-session-id="{session}"]')).to_be_visible()
        sign_in_page(tablet, "nurse")
        tablet.goto(f"/sessions/{session}")
        tablet.get_by_role("link", name="PHQ-9 self-report").tap()
        tablet.wait_for_url(f"**/sessions/{session}/self-report?instrument=phq9")
        assert tablet.locator("nav, a").count() == 0
        assert axe_violations(tablet) == []
        assert "Lindqvist" not in tablet.content() and "Okafor" not in tablet.content()
        for n in range(1, 10):
            step = tablet.locator(f'[data-item="item_{n}"]')
            choice = step.get_by_role("button", name="some days" if n == 9 else "none", exact=True)
            box = choice.bounding_box()
            assert box["height"] >= 48 and box["width"] >= 300  # a thumb's target
            choice.tap()
        expect(tablet.locator(".review li")).to_have_count(9)
        tablet.goto("/")  # no way out: every other page leads back to the questionnaire
        tablet.wait_for_url(f"**/sessions/{session}/self-report")
        for n in range(1, 10):
            tablet.locator(f'[data-item="item_{n}"]').get_by_role(
                "button", name="some days" if n == 9 else "none", exact=True).tap()
        sent = time.monotonic()
        tablet.get_by_role("button", name="Send answers").tap()
        alert = dashboard.locator(f'.tile[data-session-id="{session}"] .banner .message', has_text="PHQ-9 item 9")
        alert.wait_for(timeout=5000)
        shown_after = time.monotonic() - sent
        print(f"the dashboard showed the alert {shown_after:.3f} s after Send answers")
        assert shown_after < 1.0, f"the dashboard showed the alert after {shown_after:.2f} s"
        expect(dashboard.locator(f'.tile[data-session-id="{session}"] .banner .priority')).to_have_text("High")
        expect(tablet.get_by_text("Please hand the tablet back to your nurse")).to_be_visible()
        tablet.get_by_label("Nurse: your password ends the self-report mode").fill("not-the-password")
        tablet.get_by_role("button", name="End self-report mode").tap()
        expect(tablet.locator("#hand-back .form-status")).to_have_text("the password is not right")
        tablet.get_by_label("Nurse: your password ends the self-report mode").fill(PASSWORDS["nurse"])
        tablet.get_by_role("button", name="End self-report mode").tap()
        tablet.wait_for_url(f"**/sessions/{session}")
        expect(tablet.get_by_text("Call the supervising clinician now")).to_be_visible()
        banner = dashboard.locator(f'.tile[data-session-id="{session}"] .banner')
        banner.get_by_role("button", name="Acknowledge").click()  # without a comment: the panel asks for one
        in_panel = dashboard.locator("#alert-panel .alert", has_text="PHQ-9 item 9")
        comment = in_panel.get_by_label("Comment for the acknowledgement")
        expect(comment).to_be_focused()
        comment.fill("Assessed at the chair: no plan or intent, safety plan, continue")
        in_panel.get_by_role("button", name="Acknowledge").click()
        expect(banner).to_be_hidden()
        tablet.reload()
        expect(tablet.locator(".risk-assessments")).to_contain_text("assessed by clinician")
    [scored] = clinic.record(session)["assessments"]
    assert (scored["instrument"], scored["total"], scored["answered_by"], scored["entered_by"]) == (
        "phq9", 1, "patient", "nurse")


def test_the_nurse_enters_a_phq9_from_the_keyboard_before_the_infusion(browser, live_server, clinic):
    session = clinic.session(chair="4", indication="depression")["id"]
    clinic.to(session, "baseline")
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{session}")
        form = page.locator('form[data-instrument="phq9"]')
        expect(form).to_be_visible()  # asked by the indication, open before the infusion
        form.locator('[name="item_1"]').focus()
        for digit in "221110000":  # a digit picks the answer, Tab goes on
            page.keyboard.type(digit)
            page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # in the time field: saves
        expect(form.locator(".form-status")).to_contain_text("Saved PHQ-9 (depression) 7 (mild)")
    [scored] = clinic.record(session)["assessments"]
    assert (scored["total"], scored["band"], scored["items"]["item_1"], scored["items"]["item_9"]) == (7, "mild", 2, 0)
