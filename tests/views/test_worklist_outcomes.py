"""The worklist's outcome parts: the measures a session's indication asks for before the dose, and the
patients not returned (CLINICAL.md §8), in the list and in the header's count."""
from datetime import UTC, datetime, timedelta

from tests.views.test_course import infusion

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_scores_due_before_the_dose_and_patients_not_returned(api, clock):
    patient = api.patient(mrn="W-1", family_name="Brennan")["id"]
    infusion(api, clock, patient, 1, START, phq9=19, gad7=14)
    clock.set(START + timedelta(days=7))
    waiting = api.session(indication="PTSD")["id"]
    api.transition(waiting, "baseline")
    found = api.get("/api/worklist").get_json()
    [due] = [d for d in found["due"]["items"] if d["session_id"] == waiting]
    assert due["what"] == "PHQ-9, GAD-7, PCL-5 before the infusion"
    assert found["not_returned"]["count"] == 0  # exactly 7 days: not yet
    api.post(f"/api/sessions/{waiting}/assessments", {"instrument": "phq9",
                                                      "items": {f"item_{n}": 0 for n in range(1, 10)}})
    clock.set(START + timedelta(days=7, minutes=1))
    found = api.get("/api/worklist").get_json()
    [due] = [d for d in found["due"]["items"] if d["session_id"] == waiting]
    assert due["what"] == "GAD-7, PCL-5 before the infusion"
    [gone] = found["not_returned"]["items"]
    assert (gone["patient"]["family_name"], gone["infusions_given"], gone["next_due_by"]) == (
        "Brennan", 1, "2026-03-09T09:00:00.000Z")
