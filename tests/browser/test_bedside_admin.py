"""The admin page in a real browser: users added, disabled and enabled; thresholds changed with a reason."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.helpers import LiveApi, sign_in_page, watched_page


def test_an_admin_adds_a_nurse_then_disables_and_enables_the_account(browser, live_server):
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "admin", fresh=False)
        page.goto("/admin")
        form = page.locator("#user-form")
        form.get_by_label("User name").fill("nurse2")
        form.get_by_label("Password").fill("short")
        form.get_by_role("button", name="Add user").click()
        expect(form.locator("#u-password-error")).to_have_text("At least 8 characters")
        form.get_by_label("Password").fill("nurse2-password-1")
        form.get_by_role("button", name="Add user").click()
        row = page.locator("table.users tbody tr", has_text="nurse2")
        expect(row).to_contain_text("active")
        form.get_by_label("User name").fill("nurse2")
        form.get_by_label("Password").fill("another-password")
        form.get_by_role("button", name="Add user").click()
        expect(form.locator("#u-username-error")).to_have_text("already exists")

        row.get_by_role("button", name="Disable nurse2").click()
        expect(page.locator("table.users tbody tr", has_text="nurse2")).to_contain_text("disabled")
    with watched_page(browser, live_server) as page:
        page.goto("/login")
        page.get_by_label("User name").fill("nurse2")
        page.get_by_label("Password").fill("nurse2-password-1")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_have_text("Unknown user or wrong password.")

    with watched_page(browser, live_server) as page:
        sign_in_page(page, "admin", fresh=False)
        page.goto("/admin")
        page.get_by_role("button", name="Enable nurse2").click()
        expect(page.locator("table.users tbody tr", has_text="nurse2")).to_contain_text("active")
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse2", "nurse2-password-1")
        expect(page.get_by_text("nurse2 (nurse)")).to_be_visible()


def test_a_clinician_changes_a_threshold_with_a_reason_and_the_version_is_kept(browser, live_server):
    api = LiveApi(live_server)
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "clinician", fresh=False)
        page.goto("/admin")
        expect(page.locator("table.users")).to_have_count(0)
        form = page.locator("#rules-form")
        form.locator("[name='hr.medium.hr.above']").fill("115")
        form.get_by_role("button", name="Save thresholds").click()
        expect(form.locator("#rules-reason-error")).to_have_text("Say why the thresholds change")
        form.locator("[name='hr.medium.hr.above']").fill("abc")
        form.get_by_label("Reason for the change").fill("fewer tachycardia alarms")
        form.get_by_role("button", name="Save thresholds").click()
        expect(form.locator("[id='rule-hr.medium.hr.above-error']")).to_have_text("Must be a number")
        form.locator("[name='hr.medium.hr.above']").fill("115")
        form.get_by_role("button", name="Save thresholds").click()
        expect(page.locator("table.versions tbody tr")).to_have_count(1)
        expect(page.locator("table.versions tbody tr")).to_contain_text("fewer tachycardia alarms")
        expect(page.locator("#rules-form [name='hr.medium.hr.above']")).to_have_value("115")
    rules = api.get("/api/alert-rules", role="admin")
    assert (rules["version"], rules["rules"]["hr"]["medium"]["hr"]["above"]) == (1, 115)
