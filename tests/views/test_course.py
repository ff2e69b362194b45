"""The course at a glance (GET /api/patients/{id} and /patients/{id}): each outcome measure's totals per
infusion with baseline, change, response, remission and worsening, the days between infusions, and
"not returned" once the next infusion is 7 days overdue."""
import json
from datetime import UTC, datetime, timedelta

import lxml.html

from tests.helpers import sign_in

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def phq9_of(total: int) -> dict:
    items, left = {}, total
    for n in range(1, 10):
        items[f"item_{n}"] = 0 if n == 9 else min(3, left)
        left -= items[f"item_{n}"]
    return items


def infusion(api, clock, patient_id, number, at, phq9=None, gad7=None, indication="depression"):
    """One infusion of the course at `at`, scored before the dose, then given."""
    clock.set(at)
    session = api.session(patient_id=patient_id, series_number=number, indication=indication)["id"]
    api.transition(session, "baseline")
    for instrument, total, items in (("phq9", phq9, phq9_of), ("gad7", gad7, None)):
        if total is not None:
            body = items(total) if items else {f"item_{n}": min(3, max(0, total - 3 * (n - 1))) for n in range(1, 8)}
            assert api.post(f"/api/sessions/{session}/assessments", {"instrument": instrument, "items": body}
                            ).status_code == 201
    api.transition(session, "infusing")
    return session


def test_course_outcomes_per_infusion(api, clock):
    patient = api.patient(mrn="C-1")["id"]
    ids = [infusion(api, clock, patient, 1, START, phq9=18, gad7=12),
           infusion(api, clock, patient, 2, START + timedelta(days=2), phq9=12),
           infusion(api, clock, patient, 3, START + timedelta(days=5, hours=12), phq9=17),
           infusion(api, clock, patient, 4, START + timedelta(days=9), phq9=4, gad7=5)]
    clock.set(START + timedelta(days=10))
    found = api.get(f"/api/patients/{patient}").get_json()
    assert [(p["session_id"], p["total"], p["band"], p["change_pct"], p["response"], p["remission"], p["worsening"])
            for p in found["outcomes"]["phq9"]] == [
        (ids[0], 18, "moderately severe", None, None, False, False),
        (ids[1], 12, "moderate", -33.3, False, False, False),
        (ids[2], 17, "moderately severe", -5.6, False, False, True),
        (ids[3], 4, "minimal", -77.8, True, True, False)]
    assert [(p["total"], p["change_pct"], p["response"]) for p in found["outcomes"]["gad7"]] == [
        (12, None, None), (5, -58.3, True)]
    assert found["summary"]["phq9"] | {} == {"baseline": 18, "baseline_band": "moderately severe", "latest": 4,
                                            "latest_band": "minimal", "change_pct": -77.8, "response": True,
                                            "remission": True, "scores": 4, "worsening": [ids[2]]}
    assert [r["days_since_previous"] for r in found["sessions"]] == [None, 2.0, 3.5, 3.5]
    assert [r["outcomes"] for r in found["sessions"]][1] == {"phq9": 12, "gad7": None}
    assert found["course"] | {} == {"infusions_given": 4, "course_infusions": 6, "last_given_at": found["course"][
        "last_given_at"], "booked": False, "next_due_by": "2026-03-18T09:00:00.000Z", "days_since_last": 1.0,
        "not_returned": False}


def test_not_returned_once_the_next_infusion_is_overdue(api, clock, client):
    patient = api.patient(mrn="C-2")["id"]
    infusion(api, clock, patient, 1, START, phq9=20)
    clock.set(START + timedelta(days=7))
    assert api.get(f"/api/patients/{patient}").get_json()["course"]["not_returned"] is False
    clock.set(START + timedelta(days=7, minutes=1))
    assert api.get(f"/api/patients/{patient}").get_json()["course"]["not_returned"] is True
    sign_in(client, "nurse")
    page = lxml.html.fromstring(client.get(f"/patients/{patient}").get_data(as_text=True))
    assert "Not returned:" in page.xpath("string(//p[@class='not-returned'])")
    api.session(patient_id=patient, series_number=2)  # booked: no longer "not returned"
    assert api.get(f"/api/patients/{patient}").get_json()["course"]["not_returned"] is False


def test_series_page_draws_the_bands_baseline_and_marks(api, clock, client):
    patient = api.patient(mrn="C-3")["id"]
    infusion(api, clock, patient, 1, START, phq9=20)
    infusion(api, clock, patient, 2, START + timedelta(days=2), phq9=9)
    infusion(api, clock, patient, 3, START + timedelta(days=4), phq9=14)
    clock.set(START + timedelta(days=5))
    sign_in(client, "clinician")
    page = lxml.html.fromstring(client.get(f"/patients/{patient}").get_data(as_text=True))
    figure = json.loads(page.xpath("//div[@id='outcome-phq9']/@data-figure")[0])
    bands = [(s["y0"], s["y1"]) for s in figure["layout"]["shapes"] if s["type"] == "rect"]
    assert bands == [(0, 5), (5, 10), (10, 15), (15, 20), (20, 27)]
    lines = sorted(s["y0"] for s in figure["layout"]["shapes"] if s["type"] == "line")
    assert lines == [10.0, 20]  # the response line (half of baseline 20) and the baseline
    traces = {t["name"]: list(t["y"]) for t in figure["data"]}
    assert traces == {"total": [20, 9, 14], "responded": [9], "worse by 5 or more": [14]}
    row = page.xpath("//table[@class='outcome-summary']//tr[@data-instrument='phq9']")[0]
    assert [c.text_content().strip() for c in row.xpath("td")] == [
        "20 · severe", "14 · moderate", "-30.0%", "not yet", "no", "worse by 5 or more at 1 infusion"]
