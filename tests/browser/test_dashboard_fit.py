"""A full clinic on one screen (issue 15): 16 active chairs at 1920 x 1080 and 20 at 2560 x 1440 without scrolling,
in the normal view and in wall mode; every value whole at every width from 768 px; the highest alert as a banner
with a count of the others; tiles that keep their place. Checked from element geometry in headless Chromium."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import LiveApi, sign_in_page, watched_page

INSIDE_VIEWPORT = """() => {
  const tiles = [...document.querySelectorAll('.tile')];
  const outside = tiles.filter((t) => { const r = t.getBoundingClientRect();
    return r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth; });
  return { tiles: tiles.length, outside: outside.map((t) => t.dataset.chair),
           scrolls: document.scrollingElement.scrollHeight > innerHeight
             || document.scrollingElement.scrollWidth > innerWidth };
}"""
OVERFLOWING = """() => {
  const boxes = [...document.querySelectorAll(
    '.tile .reading .value, .tile .reading dt, .tile-head > *, .banner .priority')]
    .filter((box) => box.getClientRects().length > 0);  // shown, not [hidden]
  return boxes.filter((box) => {
    const own = box.getBoundingClientRect();
    const cell = (box.closest('.reading') || box.closest('.tile')).getBoundingClientRect();
    return box.scrollWidth > box.clientWidth + 0.5 && getComputedStyle(box).display !== 'inline'
      || own.left < cell.left - 0.5 || own.right > cell.right + 0.5;
  }).map((box) => `${box.closest('.tile').dataset.chair}: ${box.className} ${box.textContent}`);
}"""


def chair_with_three_alerts(clinic: LiveApi, chair: str) -> int:
    """An infusing chair with HR 134 and BP 188/112: high HR, high BP and NEWS2 (the HR scores 3) are open."""
    session_id = clinic.session(chair=chair)["id"]
    clinic.to(session_id, "baseline")
    clinic.vitals(session_id, {"hr": 80, "sbp": 150, "dbp": 90, "spo2": 98, "rr": 14})
    clinic.to(session_id, "infusing", confirm=True)
    for alert in clinic.get(f"/api/alerts?session_id={session_id}")["items"]:
        clinic.post(f"/api/alerts/{alert['id']}/acknowledge", {"comment": "known"}, role="clinician")  # baseline BP
    clinic.vitals(session_id, {"hr": 134, "sbp": 188, "dbp": 112, "spo2": 97, "rr": 18})
    return session_id


@pytest.fixture(scope="module")
def clinic(live_server):
    """The module's chairs, each with three open alerts and the widest values (`with_chairs` sets how many)."""
    clinic = LiveApi(live_server)
    for session in clinic.get("/api/sessions?state=active&limit=1000")["items"]:
        clinic.to(session["id"], "aborted", reason="test over")
    clinic.chairs = {}
    return clinic


def with_chairs(clinic: LiveApi, count: int) -> None:
    """Exactly chairs 1..count active: the missing ones begun, the others sent home."""
    for chair in range(1, 21):
        session_id = clinic.chairs.get(chair)
        if chair <= count and session_id is None:
            clinic.chairs[chair] = chair_with_three_alerts(clinic, str(chair))
        elif chair > count and session_id is not None:
            clinic.to(clinic.chairs.pop(chair), "aborted", reason="gone home")


def open_dashboard(page, tiles: int, wall: bool = False) -> None:
    sign_in_page(page, "clinician", fresh=False)
    page.goto("/")
    expect(page.locator(".tile")).to_have_count(tiles)
    expect(page.locator(".tile .banner .more").first).to_have_text("+2 more")
    if wall:
        page.get_by_role("button", name="Wall mode").click()
        expect(page.locator("header.topbar")).to_be_hidden()


@pytest.mark.parametrize("wall", [False, True], ids=["normal", "wall"])
def test_twenty_chairs_fit_a_2560_by_1440_screen(browser, live_server, clinic, wall):
    with_chairs(clinic, 20)
    with watched_page(browser, live_server, width=2560, height=1440) as page:
        open_dashboard(page, 20, wall)
        assert page.evaluate(INSIDE_VIEWPORT) == {"tiles": 20, "outside": [], "scrolls": False}


@pytest.mark.parametrize("wall", [False, True], ids=["normal", "wall"])
def test_sixteen_chairs_fit_a_1920_by_1080_screen(browser, live_server, clinic, wall):
    with_chairs(clinic, 16)
    with watched_page(browser, live_server, width=1920, height=1080) as page:
        open_dashboard(page, 16, wall)
        assert page.evaluate(INSIDE_VIEWPORT) == {"tiles": 16, "outside": [], "scrolls": False}
        size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.reading .value')).fontSize)")
        assert size == (33.6 if wall else 23.2)  # the readings' type: 2.1rem in wall mode, 1.45rem otherwise


@pytest.mark.parametrize("width", [768, 1280, 1920, 2560])
def test_no_value_overflows_its_box_at_any_width(browser, live_server, clinic, width):
    with_chairs(clinic, 16)
    with watched_page(browser, live_server, width=width, height=1000) as page:
        open_dashboard(page, 16)
        for wall in (False, True):
            assert page.evaluate(OVERFLOWING) == [], (width, wall)
            assert set(page.locator('[data-measure="bp"] .value').all_text_contents()) == {"188/112"}
            page.get_by_role("button", name="Leave wall mode" if wall else "Wall mode").click()


def test_alerts_are_answered_from_the_banner_or_its_panel_and_tiles_keep_their_place(browser, live_server, clinic):
    with_chairs(clinic, 16)
    with watched_page(browser, live_server, width=1920, height=1080) as page:
        open_dashboard(page, 16)
        expect(page.locator("#connection")).to_have_text("Live")
        order = page.locator(".tile").evaluate_all("tiles => tiles.map((t) => t.dataset.sessionId)")
        first = page.locator(".tile").first
        banner = first.locator(".banner")
        expect(banner.locator(".priority")).to_have_text("High")
        banner.get_by_role("button", name="Silence 2 min").click()
        expect(banner.locator(".alert-state")).to_contain_text("silenced until")

        banner.locator(".more").click()
        panel = page.locator("#alert-panel")
        expect(panel.locator(".alert")).to_have_count(3)
        medium = panel.locator(".alert", has_text="NEWS2")
        medium.get_by_label("Comment for the acknowledgement").fill("watching")
        medium.get_by_role("button", name="Acknowledge").click()
        expect(medium.locator(".alert-state")).to_have_text("acknowledged by clinician")
        panel.get_by_role("button", name="Close").click()

        moved = int(order[5])
        clinic.vitals(moved, {"hr": 131, "sbp": 186, "dbp": 111})  # values change, the priorities do not
        expect(page.locator(f'.tile[data-session-id="{moved}"] [data-measure="hr"] .value')).to_have_text("131")
        assert page.locator(".tile").evaluate_all("tiles => tiles.map((t) => t.dataset.sessionId)") == order
