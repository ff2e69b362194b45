"""The outcome measures through the assessments API: the server's total, band and place in the course;
partial sets and staff-rated instruments answered by the patient are refused and write nothing."""
from tests.helpers import counts

PHQ9_12 = {f"item_{n}": s for n, s in enumerate((2, 2, 2, 2, 1, 1, 1, 1, 0), start=1)}


def score(api, session_id, instrument, items, **extra):
    return api.post(f"/api/sessions/{session_id}/assessments", {"instrument": instrument, "items": items} | extra)


def test_phq9_answered_with_total_band_and_course(api):
    first = api.session(indication="treatment-resistant depression", series_number=1)
    second = api.session(patient_id=first["patient_id"], series_number=2)
    baseline = score(api, first["id"], "phq9", dict.fromkeys(PHQ9_12, 2) | {"item_9": 0})
    assert baseline.status_code == 201, baseline.get_json()
    assert {k: baseline.get_json()[k] for k in ("total", "band", "baseline", "change_pct", "response", "remission")} \
        == {"total": 16, "band": "moderately severe", "baseline": 16, "change_pct": None, "response": None,
            "remission": False}
    later = score(api, second["id"], "phq9", dict.fromkeys(PHQ9_12, 0) | {"item_1": 2, "item_2": 1, "item_3": 1})
    assert {k: later.get_json()[k] for k in ("total", "band", "baseline", "change_pct", "response", "remission")} \
        == {"total": 4, "band": "minimal", "baseline": 16, "change_pct": -75.0, "response": True, "remission": True}
    record = api.get(f"/api/sessions/{first['id']}").get_json()
    assert record["outcomes_asked"] == ["phq9", "gad7"]
    assert record["assessments"][0]["band"] == "moderately severe"
    assert record["assessments"][0]["answered_by"] == "staff"


def test_partial_set_refused_and_nothing_written(api, db_path):
    session = api.session()
    before = counts(db_path)
    given = dict(PHQ9_12)
    del given["item_4"]
    response = score(api, session["id"], "phq9", given)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["fields"] == {"items.item_4": "is required"}
    assert "item_4 missing" in error["message"]
    assert counts(db_path) == before


def test_self_report_only_for_patient_rated_instruments(api, db_path):
    session = api.session()
    before = counts(db_path)
    madrs = score(api, session["id"], "madrs", {f"item_{n}": 1 for n in range(1, 11)}, answered_by="patient")
    assert madrs.status_code == 422
    assert madrs.get_json()["error"]["fields"] == {"answered_by": "must be staff for this instrument"}
    assert counts(db_path) == before
    gad7 = score(api, session["id"], "gad7", {f"item_{n}": 1 for n in range(1, 8)}, answered_by="patient")
    assert (gad7.status_code, gad7.get_json()["answered_by"], gad7.get_json()["band"]) == (201, "patient", "mild")
