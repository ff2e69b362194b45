"""Weights and doses are bounded and an unusual dose needs confirming (issue 10 point 8): the weight's
row (20-350 kg possible, 40-200 usual: CLINICAL.md has none) and the dose rows live in
validation.DOSING, in the same tiers as vitals."""
import pytest

from monitor.rules.validation import DOSING
from tests.helpers import counts, refused

KETAMINE = {"chair": "1", "drug": "ketamine", "route": "iv", "planned_minutes": 40}
ESKETAMINE = {"chair": "2", "drug": "esketamine", "route": "intranasal"}


def create(api, patient_id, **fields):
    return api.post("/api/sessions", {"patient_id": patient_id} | fields)


@pytest.fixture
def patient(api):
    return api.patient(mrn="MRN-DOSE", weight_kg=68)["id"]


@pytest.mark.parametrize("weight", [1e308, -5, 0, 19.9, 350.1])
def test_an_impossible_checklist_weight_with_a_dose_per_kg_is_refused(api, db_path, patient, weight):
    """Issue 10 point 8 as written: weight_kg 1e308, -5 or 0 with dose_mg_per_kg stored dose_mg 1e308, -5 or
    a dose from the patient's other weight."""
    before = counts(db_path)
    response = create(api, patient, **KETAMINE, dose_mg_per_kg=0.5, checklist={"weight_kg": weight})
    error = refused(response, 422, db_path, before, "validation_failed")
    assert "between 20 and 350 kg" in error["fields"]["checklist.weight_kg"]


def test_the_dose_is_computed_from_the_weight_checked_today(api, patient):
    session = create(api, patient, **KETAMINE, dose_mg_per_kg=0.5, checklist={"weight_kg": 80}).get_json()
    assert session["dose_mg"] == 40.0  # 80 kg today, not the patient's 68


@pytest.mark.parametrize("weight", [1e308, -5, 0, 351])
def test_an_impossible_patient_weight_is_refused(api, db_path, weight):
    before = counts(db_path)
    response = api.post("/api/patients", {"mrn": "MRN-W1", "family_name": "Okafor", "given_name": "Grace",
                                          "birth_date": "1979-03-14", "weight_kg": weight})
    assert "weight_kg" in refused(response, 422, db_path, before, "validation_failed")["fields"]


@pytest.mark.parametrize("fields, field", [
    ({"dose_mg_per_kg": 1e308}, "dose_mg_per_kg"),
    ({"dose_mg_per_kg": -5}, "dose_mg_per_kg"),
    ({"dose_mg": 1e308, "dose_mg_per_kg": None}, "dose_mg"),
    ({"dose_mg": 0, "dose_mg_per_kg": None}, "dose_mg"),
    ({"dose_mg_per_kg": 4, "checklist": {"weight_kg": 300}}, "dose_mg"),  # 1,200 mg derived
])
def test_an_impossible_dose_given_or_derived_is_refused(api, db_path, patient, fields, field):
    before = counts(db_path)
    error = refused(create(api, patient, **KETAMINE | fields), 422, db_path, before, "validation_failed")
    assert field in error["fields"]


@pytest.mark.parametrize("fields, field", [
    ({"dose_mg_per_kg": 1.5}, "dose_mg_per_kg"),
    ({"dose_mg_per_kg": 0.05}, "dose_mg_per_kg"),
    ({"dose_mg_per_kg": 0.5, "checklist": {"weight_kg": 250}}, "checklist.weight_kg"),
    ({"dose_mg": 250, "dose_mg_per_kg": None}, "dose_mg"),
])
def test_an_unusual_ketamine_dose_or_weight_needs_confirming(api, db_path, patient, fields, field):
    before = counts(db_path)
    error = refused(create(api, patient, **KETAMINE | fields), 422, db_path, before, "needs_confirmation")
    assert field in error["fields"] and "confirm" in error["fields"][field]
    assert create(api, patient, **KETAMINE | fields, confirm=True).status_code == 201


@pytest.mark.parametrize("dose, unusual", [(56, False), (84, False), (28, True), (112, True)])
def test_esketamine_other_than_56_or_84_mg_needs_confirming(api, db_path, patient, dose, unusual):
    before = counts(db_path)
    response = create(api, patient, **ESKETAMINE, dose_mg=dose)
    if not unusual:
        assert response.status_code == 201
        return
    assert "56 or 84 mg" in refused(response, 422, db_path, before, "needs_confirmation")["fields"]["dose_mg"]
    assert create(api, patient, **ESKETAMINE, dose_mg=dose, confirm=True).status_code == 201


def test_the_weight_row_is_where_the_issue_asks():
    weight = DOSING["weight_kg"]
    assert (weight.low, weight.high, weight.usual_low, weight.usual_high) == (20, 350, 40, 200)


def test_an_esketamine_dose_is_not_derived_from_the_weight(api, patient):
    """Esketamine is 56 or 84 mg whatever the weight: a mg/kg beside it gives no dose in mg."""
    session = create(api, patient, **ESKETAMINE, dose_mg_per_kg=0.5).get_json()
    assert session["dose_mg"] is None
