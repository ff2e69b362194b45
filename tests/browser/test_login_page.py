"""The login page in a real browser: sign in, land on the dashboard, sign out."""
from playwright.sync_api import expect

from tests.helpers import axe_violations, sign_in_page


def test_a_nurse_signs_in_lands_on_the_dashboard_and_signs_out(page):
    sign_in_page(page, "nurse")
    expect(page).to_have_url(page.watch.base_url.rstrip("/") + "/")
    expect(page.get_by_role("heading", name="Active sessions")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    page.goto("/")
    assert "/login" in page.url


def test_a_wrong_password_is_refused_with_a_message(page):
    page.goto("/login")
    page.fill("input[name=username]", "nurse")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text() == "Unknown user or wrong password."


def test_the_login_page_has_no_serious_accessibility_violations(page):
    page.goto("/login")
    assert axe_violations(page) == []
