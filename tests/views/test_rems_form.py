"""The esketamine REMS Patient Monitoring Form (CLINICAL.md §1): what it asks, answered from one session's
record; marking it submitted (once, audited, an event); the list of forms not yet submitted; its pages."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.helpers import counts, sign_in

NOW = datetime(2026, 3, 18, 12, 30, tzinfo=timezone.utc)


def t(clock: str, day: str = "2026-03-18") -> str:
    return f"{day}T{clock}:00Z"


def esketamine_session(api, mrn: str, day: str = "2026-03-18", lot: str | None = "LOT-77") -> int:
    """Dosed at 09:30, recovered, ready at 11:25 and discharged at 11:35 (125 minutes) on `day`."""
    patient = api.patient(mrn=mrn, family_name="Haddad", given_name="Rania", birth_date="1981-02-14")
    session = api.session(patient_id=patient["id"], drug="esketamine", route="intranasal", dose_mg=56,
                          dose_mg_per_kg=None, planned_minutes=None, lot_number=lot)
    sid = session["id"]
    steps = [("baseline", "09:15"), ("vitals", ("09:25", {"sbp": 132, "dbp": 84, "hr": 76, "spo2": 98, "rr": 14})),
             ("infusing", "09:30"), ("recovery", "09:35"),
             ("vitals", ("10:10", {"sbp": 158, "dbp": 96, "hr": 90, "spo2": 97, "rr": 15, "moaas": 3})),
             ("vitals", ("11:20", {"sbp": 128, "dbp": 80, "hr": 74, "spo2": 98, "rr": 14, "moaas": 5,
                                  "consciousness": "A"})),
             ("ready", "11:25"), ("discharged", "11:35")]
    for step, detail in steps:
        if step == "vitals":
            clock, values = detail
            assert api.vitals(sid, {"taken_at": t(clock, day)} | values).status_code == 201
        else:
            response = api.transition(sid, step, at=t(detail, day))
            assert response.status_code == 200, response.get_json()
    return sid


@pytest.fixture
def dosed(api, clock):
    clock.set(NOW)
    sid = esketamine_session(api, "REMS-1")
    assert api.post(f"/api/sessions/{sid}/side-effects", {"kind": "dissociation", "severity": "moderate",
                                                          "observed_at": t("09:50")}).status_code == 201
    effect = api.get(f"/api/sessions/{sid}").get_json()["side_effects"][0]
    assert api.post(f"/api/side-effects/{effect['id']}/resolve", {"resolved_at": t("10:30")}).status_code == 200
    for at, total in (("10:00", 8), ("10:45", 2)):
        assert api.post(f"/api/sessions/{sid}/assessments", {"instrument": "cadss", "items": {"total": total},
                                                             "at": t(at)}).status_code == 201
    return sid


def test_the_form_answers_each_question_from_the_record(api, dosed):
    form = api.get(f"/api/sessions/{dosed}/rems").get_json()
    assert form["dose"] == {"mg": 56, "devices": 2, "route": "intranasal", "lot_number": "LOT-77",
                            "first_dose_at": "2026-03-18T09:30:00.000Z"}
    assert [(c["key"], c["status"], c["reading"]) for c in form["blood_pressure"]] == [
        ("pre_dose", "done", {"sbp": 132, "dbp": 84, "taken_at": "2026-03-18T09:25:00.000Z"}),
        ("forty_minutes", "done", {"sbp": 158, "dbp": 96, "taken_at": "2026-03-18T10:10:00.000Z"}),
        ("pre_discharge", "done", {"sbp": 128, "dbp": 80, "taken_at": "2026-03-18T11:20:00.000Z"})]
    assert form["vitals_before_dosing"] == {"acceptable": True, "findings": [], "taken_at": "2026-03-18T09:25:00.000Z",
                                            "values": {"sbp": 132, "dbp": 84, "hr": 76, "spo2": 98, "rr": 14}}
    assert (form["vitals_at_end"]["acceptable"], form["vitals_at_end"]["taken_at"]) == (
        True, "2026-03-18T11:20:00.000Z")
    assert form["sedation"] == {"observed": True, "resolved": True,
                                "evidence": ["MOAA/S 3 at 2026-03-18T10:10:00.000Z"]}
    assert form["dissociation"] == {"observed": True, "resolved": True, "evidence": [
        "dissociation (moderate) at 2026-03-18T09:50:00.000Z, resolved 2026-03-18T10:30:00.000Z",
        "CADSS 8 at 2026-03-18T10:00:00.000Z"]}
    assert form["respiratory_depression"] == {"observed": False, "resolved": None, "evidence": []}
    assert (form["total_monitored_minutes"], form["ready_to_leave_minutes"]) == (125.0, 115.0)
    assert (form["session_date"], form["discharged_at"], form["due_date"], form["submission"]) == (
        "2026-03-18", "2026-03-18T11:35:00.000Z", "2026-03-25", None)


def test_vitals_not_acceptable_say_which_rule_fired(api, clock):
    clock.set(NOW)
    patient = api.patient(mrn="REMS-HIGH")
    session = api.session(patient_id=patient["id"], drug="esketamine", route="intranasal", dose_mg=84,
                          dose_mg_per_kg=None, planned_minutes=None)
    api.transition(session["id"], "baseline", at=t("11:00"))
    api.vitals(session["id"], {"taken_at": t("11:05"), "sbp": 152, "dbp": 94, "hr": 80, "rr": 7})
    form = api.get(f"/api/sessions/{session['id']}/rems").get_json()
    assert form["vitals_before_dosing"]["findings"] == ["RR 7 ≤ 8 (high)", "SBP 152 > 140, DBP 94 > 90 (low)"]
    assert form["vitals_before_dosing"]["acceptable"] is False
    assert form["respiratory_depression"] == {"observed": True, "resolved": False,
                                              "evidence": ["RR 7 at 2026-03-18T11:05:00.000Z"]}
    assert (form["dose"]["devices"], form["dose"]["lot_number"], form["vitals_at_end"], form["due_date"]) == (
        3, None, None, None)


def test_marking_the_form_submitted_once(api, dosed, db_path):
    response = api.post(f"/api/sessions/{dosed}/rems/submitted", {"submitted_at": t("12:00"),
                                                                   "reference": "RX-20260318-4"})
    assert response.status_code == 200
    assert response.get_json()["submission"] == {"submitted_at": "2026-03-18T12:00:00.000Z",
                                                 "reference": "RX-20260318-4",
                                                 "entered_at": "2026-03-18T12:30:00.000Z", "entered_by": "nurse"}
    events = api.get(f"/api/events?session_id={dosed}").get_json()["events"]
    assert events[-1]["type"] == "rems.submitted"
    entries = api.get(f"/api/audit?session_id={dosed}", role="clinician").get_json()["items"]
    assert [e["action"] for e in entries if e["action"] == "rems.submit"] == ["rems.submit"]
    before = counts(db_path)
    again = api.post(f"/api/sessions/{dosed}/rems/submitted", {}, role="admin")
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "conflict")
    assert counts(db_path) == before


def test_only_dosed_esketamine_sessions_have_a_form(api, clock, db_path):
    clock.set(NOW)
    ketamine = api.session()
    assert api.get(f"/api/sessions/{ketamine['id']}/rems").status_code == 404
    patient = api.patient(mrn="REMS-NOT-YET")
    waiting = api.session(patient_id=patient["id"], drug="esketamine", route="intranasal", dose_mg=56,
                          dose_mg_per_kg=None, planned_minutes=None)
    before = counts(db_path)
    response = api.post(f"/api/sessions/{waiting['id']}/rems/submitted", {})
    assert (response.status_code, response.get_json()["error"]["message"]) == (
        409, "the session has no dose yet: the REMS form is filled in after dosing")
    assert api.post(f"/api/sessions/{ketamine['id']}/rems/submitted", {}).status_code == 404
    assert counts(db_path) == before


def test_the_forms_not_yet_submitted_are_listed_oldest_due_first(api, dosed, clock):
    earlier = esketamine_session(api, "REMS-2", day="2026-03-01")
    submitted = esketamine_session(api, "REMS-3", day="2026-03-17")
    api.post(f"/api/sessions/{submitted}/rems/submitted", {})
    api.session()  # ketamine: no form
    listed = api.get("/api/rems").get_json()["items"]
    assert [(row["session_id"], row["due_date"], row["overdue"], row["first_dose_at"]) for row in listed] == [
        (earlier, "2026-03-08", True, "2026-03-01T09:30:00.000Z"),
        (dosed, "2026-03-25", False, "2026-03-18T09:30:00.000Z")]


def test_the_printable_form_and_the_list_pages(app, api, dosed):
    client = app.test_client()
    assert sign_in(client, "admin").status_code == 302
    page = client.get(f"/sessions/{dosed}/rems")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for shown in ("Spravato REMS Patient Monitoring Form: Haddad, Rania", "56 mg (2 devices)", "LOT-77",
                  "132/84 mmHg at 2026-03-18 09:25", "158/96 mmHg at 2026-03-18 10:10", "125 min", "115 min",
                  "Not yet submitted. Due by 2026-03-25.", "Mark form submitted", "Print form"):
        assert shown in text, shown
    listing = client.get("/rems").get_data(as_text=True)
    assert "Haddad, Rania" in listing and "2026-03-25" in listing
    assert client.get(f"/sessions/{api.session()['id']}/rems").status_code == 404
