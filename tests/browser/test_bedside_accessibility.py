"""Every page of the bedside work on a 768 px tablet: axe-core finds nothing serious, nothing scrolls
sideways, every input has a label, and the keyboard focus is always visible."""
from __future__ import annotations

import pytest

from tests.helpers import LiveApi, ago, axe_violations, minute_now, sign_in_page, watched_page

TABLET = (768, 1024)


@pytest.fixture(scope="module")
def scene(live_server):
    """An esketamine session in recovery with something in every panel, and a finished ketamine one."""
    api = LiveApi(live_server)
    t = minute_now()
    patient = api.patient()
    done = api.session(patient_id=patient["id"], series_number=1)
    api.to(done["id"], "baseline", ago(300, t))
    api.vitals(done["id"], {"taken_at": ago(298, t).isoformat(), "hr": 70, "sbp": 120, "dbp": 78})
    api.to(done["id"], "infusing", ago(290, t))
    api.vitals(done["id"], {"taken_at": ago(260, t).isoformat(), "hr": 84, "sbp": 141, "dbp": 90})
    api.to(done["id"], "recovery", ago(250, t))
    api.to(done["id"], "ready", ago(230, t))
    api.to(done["id"], "discharged", ago(225, t))
    live = api.session(patient_id=patient["id"], series_number=2, drug="esketamine", route="intranasal", dose_mg=56,
                       dose_mg_per_kg=None, planned_minutes=None, lot_number="LOT-1")
    sid = live["id"]
    api.to(sid, "baseline", ago(70, t))
    api.vitals(sid, {"taken_at": ago(68, t).isoformat(), "hr": 72, "sbp": 150, "dbp": 94, "spo2": 98})
    api.to(sid, "infusing", ago(65, t), confirm=True)
    api.vitals(sid, {"taken_at": ago(25, t).isoformat(), "hr": 88, "sbp": 162, "dbp": 99, "spo2": 97, "rr": 16})
    first = api.record(sid)["vitals"][1]
    api.post(f"/api/vitals/{first['id']}/amend", {"sbp": 160, "reason": "re-read"}, expect=201)
    api.post(f"/api/sessions/{sid}/side-effects", {"kind": "dissociation", "severity": "moderate",
                                                  "observed_at": ago(40, t).isoformat()}, expect=201)
    api.post(f"/api/sessions/{sid}/assessments", {"instrument": "moaas", "items": {"score": 4}}, expect=201)
    api.post(f"/api/sessions/{sid}/notes", {"kind": "medication", "text": "ondansetron 4 mg IV",
                                           "medication": {"name": "ondansetron", "dose": "4 mg"}}, expect=201)
    api.to(sid, "recovery", ago(20, t))
    return {"session": sid, "done": done["id"], "patient": patient["id"]}


PAGES = [
    ("nurse", "/sessions/new"),
    ("nurse", "/sessions/{session}"),
    ("clinician", "/sessions/{session}"),
    ("nurse", "/sessions/{done}"),
    ("nurse", "/sessions/{session}/record"),
    ("nurse", "/patients/{patient}"),
    ("nurse", "/reports"),
    ("admin", "/admin"),
    ("clinician", "/admin"),
]

UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter((e) => e.type !== 'hidden' && !e.labels.length)
  .filter((e) => !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
  .map((e) => e.name || e.id)"""


@pytest.mark.parametrize(("role", "path"), PAGES)
def test_each_page_is_usable_on_a_tablet_with_no_serious_accessibility_violations(browser, live_server, scene, role,
                                                                                  path):
    with watched_page(browser, live_server, *TABLET) as page:
        sign_in_page(page, role, fresh=False)
        page.goto(path.format(**scene))
        page.wait_for_load_state("networkidle")
        for details in page.locator("details").all():
            details.evaluate("d => d.open = true")
        assert axe_violations(page) == []
        assert page.evaluate(UNLABELLED) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= TABLET[0]


def test_the_bedside_dialogs_and_prompts_pass_axe_too(browser, live_server, scene):
    with watched_page(browser, live_server, *TABLET) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{scene['session']}")
        page.locator("[data-amend]").first.click()
        assert axe_violations(page) == []
        page.locator("#amend-dialog").get_by_role("button", name="Cancel").click()
        form = page.locator("#vitals-form")
        form.get_by_label("HR").fill("230")
        form.get_by_role("button", name="Save vitals").click()
        page.get_by_role("button", name="Confirm and save").wait_for()
        assert axe_violations(page) == []


FOCUS_STYLE = """() => { const s = getComputedStyle(document.activeElement);
  return [document.activeElement.tagName, s.outlineStyle, parseFloat(s.outlineWidth)]; }"""


def test_the_keyboard_focus_is_visible_on_every_stop_of_the_bedside_page(browser, live_server, scene):
    with watched_page(browser, live_server, *TABLET) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{scene['session']}")
        seen = []
        for _ in range(60):
            page.keyboard.press("Tab")
            tag, style, width = page.evaluate(FOCUS_STYLE)
            seen.append(tag)
            assert style != "none" and width >= 2, f"no visible focus on {tag} after {len(seen)} tabs"
        assert {"A", "BUTTON", "INPUT", "SELECT"} <= set(seen)
