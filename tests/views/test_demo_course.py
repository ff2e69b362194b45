"""The demo clinic carries courses of real shape: a responder, a remitter, one not responding, one who
stopped after the first infusion, and a positive PHQ-9 item 9 assessed and acknowledged; its esketamine
REMS forms show every CLINICAL.md §9 field, the known ones equal to the record, and the days left."""
from zoneinfo import ZoneInfo

import pytest

from monitor import demo

FIELDS_9 = ("patient", "first_treatment", "enrolled_in_rems", "concomitant_medicines", "provider", "session_date",
            "dose", "total_monitored_minutes", "ready_to_leave_minutes", "vitals_before_dosing", "vitals_at_end",
            "blood_pressure", "sedation", "dissociation", "pulse_oximetry", "respiratory_depression",
            "serious_adverse_events", "due_date", "days_left", "asked")


@pytest.fixture
def seeded(store, api):
    demo.seed(store, ZoneInfo("Europe/London"))
    found = {}
    for mrn, family, *_ in demo.PATIENTS:
        [patient] = [p for p in api.get(f"/api/patients?q={mrn}").get_json()["items"] if p["mrn"] == mrn]
        found[family] = api.get(f"/api/patients/{patient['id']}").get_json()
    return found


def test_the_demo_courses_have_their_shapes(seeded, api):
    okafor, moreau, lindqvist, brennan = (seeded[n] for n in ("Okafor", "Moreau", "Lindqvist", "Brennan"))
    assert [p["total"] for p in okafor["outcomes"]["phq9"]] == [20, 15, 12, 9]
    assert (okafor["summary"]["phq9"]["response"], okafor["summary"]["phq9"]["remission"]) == (True, False)
    assert (moreau["summary"]["phq9"]["remission"], moreau["outcomes"]["madrs"][0]["total"]) == (True, 30)
    assert lindqvist["summary"]["phq9"]["response"] is False
    assert (brennan["course"]["infusions_given"], brennan["course"]["not_returned"]) == (1, True)
    third = next(s for s in okafor["sessions"] if s["series_number"] == 3)["id"]
    [alert] = [a for a in api.get(f"/api/alerts?session_id={third}&state=all").get_json()["items"]
               if a["key"] == "suicidality"]
    assert (alert["key"], alert["state"], alert["acknowledged_by"], alert["comment"]) == (
        "suicidality", "cleared", "clinician", demo.RISK_ASSESSMENT)


def test_a_demo_rems_form_shows_every_field_filled_from_the_record(seeded, api):
    first = next(s for s in seeded["Moreau"]["sessions"] if s["series_number"] == 1)["id"]
    form = api.get(f"/api/sessions/{first}/rems").get_json()
    record = api.get(f"/api/sessions/{first}").get_json()
    assert set(FIELDS_9) <= set(form)
    assert (form["patient"]["birth_date"], form["patient"]["sex"]) == ("1992-06-21", "female")
    assert form["first_treatment"] is True
    assert form["concomitant_medicines"] == dict.fromkeys(
        ("benzodiazepines", "sedative_hypnotics", "psychostimulants", "maois", "opioids"), False)
    assert (form["dose"]["mg"], form["dose"]["lot_number"]) == (record["dose_mg"], record["lot_number"]) == (
        56, "LOT-24A117")
    spo2 = [v["spo2"] for v in record["vitals"] if v["spo2"] is not None]
    assert (form["pulse_oximetry"]["used"], form["pulse_oximetry"]["lowest"]) == (True, min(spo2))
    assert form["total_monitored_minutes"] >= 120
    assert form["serious_adverse_events"]["observed"] is False
    assert form["session_date"] == record["timeline"]["infusing"][:10]
    assert form["asked"] == ["enrolled_in_rems"]
    assert form["days_left"] == 7 - 10  # dosed ten days ago: three days overdue
    listed = {r["session_id"]: r for r in api.get("/api/rems").get_json()["items"]}
    assert listed[first]["days_left"] == form["days_left"]
