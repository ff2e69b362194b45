"""The outcome measures leaving the app: in the FHIR export each is a QuestionnaireResponse with its total
as an Observation (LOINC 44261-6 PHQ-9, 70274-6 GAD-7, local codes for PCL-5 and MADRS), valid R4; the
CSV of a course has one row per infusion with its outcome totals; both carry the totals back."""
import csv
import io
from datetime import UTC, datetime, timedelta

from fhir.resources.R4B.bundle import Bundle

from tests.interop.test_imports_samples import upload
from tests.views.test_course import infusion

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def scored(api, session_id, instrument, items, **extra):
    response = api.post(f"/api/sessions/{session_id}/assessments", {"instrument": instrument, "items": items} | extra)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_fhir_carries_each_outcome_as_a_response_and_an_observation(api):
    session = api.session()["id"]
    phq9 = scored(api, session, "phq9", {f"item_{n}": 2 for n in range(1, 10)} | {"item_9": 0}, answered_by="patient")
    gad7 = scored(api, session, "gad7", {f"item_{n}": 1 for n in range(1, 8)})
    pcl5 = scored(api, session, "pcl5", {f"item_{n}": 2 for n in range(1, 21)})
    bundle = api.get(f"/api/sessions/{session}/export?format=fhir").get_json()
    Bundle.model_validate(bundle)
    resources = {r["id"]: r for r in (e["resource"] for e in bundle["entry"])}
    observations = {r["code"]["coding"][0]["code"]: r for r in resources.values()
                    if r["resourceType"] == "Observation" and r["category"][0]["coding"][0]["code"] == "survey"}
    assert {code: (o["code"]["coding"][0]["system"], o["valueInteger"], o["interpretation"][0]["text"])
            for code, o in observations.items()} == {
        "44261-6": ("http://loinc.org", 16, "moderately severe"),
        "70274-6": ("http://loinc.org", 7, "mild"),
        "pcl5": ("urn:infusion-monitor:codes", 40, "probable ptsd")}
    response = resources[observations["44261-6"]["derivedFrom"][0]["reference"].removeprefix("urn:uuid:")]
    assert (response["resourceType"], response["questionnaire"], response["status"]) == (
        "QuestionnaireResponse", "http://loinc.org/q/44249-1", "completed")
    assert {i["linkId"]: i["answer"][0]["valueInteger"] for i in response["item"]} == phq9["items"]
    assert "source" in response  # a self-report: the patient answered
    assert [t["total"] for t in (phq9, gad7, pcl5)] == [16, 7, 40]


def test_the_course_csv_has_one_row_per_infusion_with_its_totals(api, clock):
    patient = api.patient(mrn="CSV-1")["id"]
    infusion(api, clock, patient, 1, START, phq9=18, gad7=12)
    infusion(api, clock, patient, 2, START + timedelta(days=2), phq9=8)
    clock.set(START + timedelta(days=3))
    response = api.get(f"/api/patients/{patient}/export")
    assert (response.status_code, response.mimetype) == (200, "text/csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["series_number"], r["days_since_previous"], r["phq9_total"], r["phq9_band"], r["phq9_change_pct"],
             r["phq9_response"], r["gad7_total"]) for r in rows] == [
        ("1", "", "18", "moderately severe", "", "", "12"),
        ("2", "2.0", "8", "mild", "-55.6", "true", "")]
    course = api.get(f"/api/patients/{patient}").get_json()
    assert [int(r["phq9_total"]) for r in rows] == [p["total"] for p in course["outcomes"]["phq9"]]


def test_the_fhir_import_reads_the_totals_back(api):
    treated = api.session()["id"]
    assert api.vitals(treated, {"hr": 72, "sbp": 124, "dbp": 80}).status_code == 201
    scored(api, treated, "phq9", {f"item_{n}": 1 for n in range(1, 10)}, answered_by="patient")
    scored(api, treated, "gad7", {f"item_{n}": 2 for n in range(1, 8)})
    scored(api, treated, "madrs", {f"item_{n}": 3 for n in range(1, 11)})
    bundle = api.get(f"/api/sessions/{treated}/export?format=fhir").get_data()
    fresh = api.session()["id"]
    response = upload(api, fresh, bundle)
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["scores_imported"], response.get_json()["scores_refused"]) == (3, [])

    def totals(session_id):
        return [(a["instrument"], a["total"], a["band"], a["at"])
                for a in api.get(f"/api/sessions/{session_id}").get_json()["assessments"]]
    assert totals(fresh) == totals(treated)
    assert [t[:3] for t in totals(fresh)] == [("phq9", 9, "mild"), ("gad7", 14, "moderate"), ("madrs", 30, "moderate")]
    again = upload(api, fresh, bundle).get_json()
    assert again["scores_imported"] == 0 and len(totals(fresh)) == 3
