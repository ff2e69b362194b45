"""Every field of the REMS Patient Monitoring Form (CLINICAL.md §9): each one the record knows is filled
from it and checked against the record here; the form asks only for what it cannot know; the days left
show on the REMS list, and clinicians get an alert on day 6."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import lxml.html

from monitor.alerts import scheduler
from tests.helpers import counts, sign_in
from tests.views.test_rems_form import t

NOW = datetime(2026, 3, 18, 12, 30, tzinfo=timezone.utc)


def dosed_session(api, patient_id, day="2026-03-18", **fields):
    """Esketamine 84 mg with a checklist, dosed 09:30, SpO2 read four times (lowest 93), discharged 11:40."""
    body = {"patient_id": patient_id, "drug": "esketamine", "route": "intranasal", "dose_mg": 84,
            "dose_mg_per_kg": None, "planned_minutes": None, "lot_number": "LOT-9",
            "checklist": {"medication_flags": ["benzodiazepines", "opioids"], "consent": True}} | fields
    sid = api.session(**body)["id"]
    api.transition(sid, "baseline", at=t("09:10", day))
    for clock, values in (("09:20", {"sbp": 128, "dbp": 82, "spo2": 98, "hr": 70}),):
        api.vitals(sid, {"taken_at": t(clock, day)} | values)
    api.transition(sid, "infusing", at=t("09:30", day))
    for clock, values in (("10:10", {"sbp": 150, "dbp": 92, "spo2": 93}), ("10:40", {"spo2": 95}),
                          ("11:30", {"sbp": 126, "dbp": 80, "spo2": 97})):
        api.vitals(sid, {"taken_at": t(clock, day)} | values)
    api.transition(sid, "recovery", at=t("09:35", day))
    api.transition(sid, "ready", at=t("11:20", day))
    api.transition(sid, "discharged", at=t("11:40", day))
    return sid


def test_every_field_filled_from_the_record(api, clock):
    clock.set(NOW)
    patient = api.patient(mrn="REMS-F1", family_name="Haddad", given_name="Rania", birth_date="1981-02-14",
                          sex="female")
    first = dosed_session(api, patient["id"], day="2026-03-16")
    second = dosed_session(api, patient["id"], checklist={"medication_flags": [], "consent": True})
    response = api.post(f"/api/sessions/{second}/side-effects", {"kind": "hypertension", "severity": "severe",
                                                                 "serious": True, "observed_at": t("10:12")})
    assert response.status_code == 201
    record = api.get(f"/api/sessions/{second}").get_json()
    form = api.get(f"/api/sessions/{second}/rems").get_json()
    assert {k: form["patient"][k] for k in ("given_name", "family_name", "birth_date", "sex")} == {
        k: record["patient"][k] for k in ("given_name", "family_name", "birth_date", "sex")}
    assert form["first_treatment"] is False
    assert api.get(f"/api/sessions/{first}/rems").get_json()["first_treatment"] is True
    assert api.get(f"/api/sessions/{first}/rems").get_json()["concomitant_medicines"] == {
        "benzodiazepines": True, "sedative_hypnotics": False, "psychostimulants": False, "maois": False,
        "opioids": True}
    assert set(form["concomitant_medicines"].values()) == {False}
    assert (form["dose"]["mg"], form["dose"]["lot_number"]) == (record["dose_mg"], record["lot_number"])
    assert form["session_date"] == record["timeline"]["infusing"][:10]
    spo2 = [v for v in record["vitals"] if v["spo2"] is not None]
    assert form["pulse_oximetry"] == {"used": True, "readings": len(spo2), "lowest": min(v["spo2"] for v in spo2),
                                      "lowest_at": "2026-03-18T10:10:00.000Z"}
    assert form["total_monitored_minutes"] == 130.0  # 09:30 first device to 11:40 end of monitoring
    assert form["ready_to_leave_minutes"] == 110.0
    assert [c["reading"]["sbp"] for c in form["blood_pressure"]] == [128, 150, 126]
    assert (form["vitals_before_dosing"]["acceptable"], form["vitals_at_end"]["acceptable"]) == (True, True)
    assert form["serious_adverse_events"] == {"observed": True, "events": [
        "hypertension (severe) at 2026-03-18T10:12:00.000Z, not resolved"]}
    assert form["respiratory_depression"]["observed"] is False
    assert (form["due_date"], form["days_left"]) == ("2026-03-25", 7)
    assert form["asked"] == ["enrolled_in_rems"] and form["enrolled_in_rems"] is None


def test_asked_only_for_what_the_record_cannot_know(api, clock, db_path):
    clock.set(NOW)
    patient = api.patient(mrn="REMS-F2")
    sid = dosed_session(api, patient["id"], lot_number=None)
    assert api.get(f"/api/sessions/{sid}/rems").get_json()["asked"] == ["enrolled_in_rems", "lot_number"]
    before = counts(db_path)
    known = api.post(f"/api/sessions/{sid}/rems/answers", {"dose_mg": 56, "enrolled_in_rems": True})
    assert known.status_code == 422
    assert known.get_json()["error"]["fields"] == {"dose_mg": "the record already holds it"}
    assert counts(db_path) == before
    answered = api.post(f"/api/sessions/{sid}/rems/answers", {"enrolled_in_rems": True, "lot_number": "L-42"})
    assert answered.status_code == 200, answered.get_json()
    form = answered.get_json()
    assert (form["asked"], form["enrolled_in_rems"], form["dose"]["lot_number"]) == ([], True, "L-42")
    assert form["answers"]["lot_number"]["entered_by"] == "nurse"


def test_days_left_on_the_list_and_an_alert_to_clinicians_on_day_6(api, clock, store, client):
    clock.set(NOW)
    patient = api.patient(mrn="REMS-F3")
    sid = dosed_session(api, patient["id"])
    ended = datetime(2026, 3, 18, 11, 40, tzinfo=timezone.utc)
    clock.set(ended + timedelta(days=6) - timedelta(minutes=1))
    assert scheduler.tick(store) == 0
    listed = {r["session_id"]: r for r in api.get("/api/rems").get_json()["items"]}
    assert listed[sid]["days_left"] == 1
    clock.set(ended + timedelta(days=6))
    assert scheduler.tick(store) == 1
    [alert] = api.get(f"/api/alerts?session_id={sid}").get_json()["items"]
    assert (alert["key"], alert["priority"], alert["message"]) == ("rems_form_due", "medium",
                                                                   "REMS form due by 2026-03-25: 1 day left")
    assert scheduler.tick(store) == 0  # raised once
    sign_in(client, "clinician")
    page = lxml.html.fromstring(client.get("/rems").get_data(as_text=True))
    assert page.xpath("string(//td[@data-days-left])").strip() == "1"
    assert api.post(f"/api/sessions/{sid}/rems/submitted", {"reference": "R-1"}).status_code == 200
    assert api.get(f"/api/alerts?session_id={sid}").get_json()["items"] == []
    assert scheduler.tick(store) == 0
