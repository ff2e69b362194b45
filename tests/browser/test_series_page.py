"""The treatment series: a patient's course, session by session, and plots across it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.helpers import LiveApi, ago, minute_now, sign_in_page, watched_page


def finished_session(api, patient_id, number, start, baseline, peak, recovery_minutes, effect=None):
    """A ketamine session of the course: baseline BP, a peak 40 minutes in, then recovery to ready."""
    sid = api.session(patient_id=patient_id, series_number=number, dose_mg_per_kg=0.5)["id"]
    end = start + timedelta(minutes=40)
    api.to(sid, "baseline", start - timedelta(minutes=5))
    api.vitals(sid, {"taken_at": (start - timedelta(minutes=3)).isoformat(), "sbp": baseline[0], "dbp": baseline[1],
                     "hr": 70})
    api.to(sid, "infusing", start)
    api.vitals(sid, {"taken_at": end.isoformat(), "sbp": peak[0], "dbp": peak[1], "hr": 84})
    if effect:
        api.post(f"/api/sessions/{sid}/side-effects", {"kind": effect[0], "severity": effect[1],
                                                      "observed_at": (start + timedelta(minutes=20)).isoformat()},
                 expect=201)
    api.to(sid, "recovery", end)
    api.to(sid, "ready", end + timedelta(minutes=recovery_minutes))
    api.to(sid, "discharged", end + timedelta(minutes=recovery_minutes + 5))
    return sid


@pytest.fixture(scope="module")
def course(live_server):
    """A patient three sessions into a course: two, one and zero weeks ago."""
    api = LiveApi(live_server)
    t = minute_now()
    patient = api.patient(family_name="Moreau", given_name="Camille")
    sessions = [
        finished_session(api, patient["id"], 1, ago(60 * 24 * 14, t), (122, 80), (150, 96), 35, ("nausea", "mild")),
        finished_session(api, patient["id"], 2, ago(60 * 24 * 7, t), (118, 76), (139, 88), 25,
                         ("vomiting", "severe")),
        finished_session(api, patient["id"], 3, ago(120, t), (120, 78), (131, 84), 20),
    ]
    return {"patient": patient, "sessions": sessions}


def test_the_series_shows_each_session_of_the_course_and_plots_across_it(browser, live_server, course):
    api = LiveApi(live_server)
    patient, sessions = course["patient"], course["sessions"]
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/patients/{patient['id']}")
        expect(page.get_by_role("heading", name="Moreau, Camille: treatment series")).to_be_visible()
        rows = page.locator(".series-table tbody tr")
        expect(rows).to_have_count(3)
        cells = [[c.strip() for c in row.locator("th, td").all_inner_texts()] for row in rows.all()]
        assert [(c[0], c[3], c[4], c[5], c[6], c[7], c[8], c[9]) for c in cells] == [
            ("1", "34 mg (0.5 mg/kg)", "122/80", "150/96", "+28/+16", "mild nausea", "35 min", "Discharged"),
            ("2", "34 mg (0.5 mg/kg)", "118/76", "139/88", "+21/+12", "severe vomiting", "25 min", "Discharged"),
            ("3", "34 mg (0.5 mg/kg)", "120/78", "131/84", "+11/+6", "none", "20 min", "Discharged"),
        ]
        for chart in ("#chart-bp", "#chart-rise", "#chart-recovery", "#chart-dose"):
            expect(page.locator(f"{chart} .main-svg").first).to_be_attached()
        expect(page.locator("#chart-rise .point")).to_have_count(6)
        page.get_by_role("link", name="Session 2", exact=True).click()
        page.wait_for_url(f"**/sessions/{sessions[1]}")

    series = api.get(f"/api/patients/{patient['id']}")["sessions"]
    assert [(s["sbp_rise"], s["dbp_rise"], s["recovery_minutes"]) for s in series] == [
        (28, 16, 35.0), (21, 12, 25.0), (11, 6, 20.0)]


def test_the_clinic_reports_count_the_course_and_chart_it(browser, live_server, course):
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "clinician", fresh=False)
        page.goto("/reports")
        figures = page.locator("dl.figures")
        assert dict(zip(figures.locator("dt").all_inner_texts(), figures.locator("dd").all_inner_texts())) == {
            "Sessions dosed": "3", "Median SBP rise": "21 mmHg", "90th centile SBP rise": "28 mmHg",
            "Median infusion end to ready": "25 min", "90th centile infusion end to ready": "35 min"}
        for chart in ("#chart-weeks", "#chart-rise", "#chart-effects", "#chart-recovery"):
            expect(page.locator(f"{chart} .main-svg").first).to_be_attached()
        expect(page.locator("#chart-effects .point")).to_have_count(2)  # nausea, vomiting
        page.locator("#effects-h + .chart + details summary").click()
        rows = page.locator("#effects-h ~ details tbody tr")
        assert [r.locator("th, td").all_inner_texts() for r in rows.all()] == [
            ["Nausea", "1", "33.3%", "0"], ["Vomiting", "1", "33.3%", "1"]]
