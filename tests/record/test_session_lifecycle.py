"""An IV session driven through every state over HTTP with explicit clinical times."""
from datetime import datetime, timedelta, timezone


def at(base, minutes):
    return (base + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_iv_session_through_every_state_has_the_right_durations(api):
    base = (datetime.now(timezone.utc) - timedelta(hours=5)).replace(second=0, microsecond=0)
    session = api.session()
    sid = session["id"]
    assert session["state"] == "scheduled"

    steps = [("baseline", 0), ("infusing", 20), ("paused", 35), ("infusing", 42), ("recovery", 75),
             ("ready", 130), ("discharged", 145)]
    api.vitals(sid, {"taken_at": at(base, 5), "hr": 72, "sbp": 124, "dbp": 78, "spo2": 98, "rr": 14})
    for to, minute in steps:
        if to == "ready":
            scored = api.post(f"/api/sessions/{sid}/assessments", {
                "instrument": "aldrete", "at": at(base, 125),
                "items": {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 1}})
            assert scored.status_code == 201
            assert scored.get_json()["total"] == 9
            assert scored.get_json()["meets_discharge_criteria"] is True
        response = api.transition(sid, to, at=at(base, minute))
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["state"] == to

    whole = api.get(f"/api/sessions/{sid}").get_json()
    assert whole["timeline"] == {
        "baseline": at(base, 0).replace("Z", ".000Z"), "infusing": at(base, 20).replace("Z", ".000Z"),
        "paused": at(base, 35).replace("Z", ".000Z"), "recovery": at(base, 75).replace("Z", ".000Z"),
        "ready": at(base, 130).replace("Z", ".000Z"), "discharged": at(base, 145).replace("Z", ".000Z"),
    }
    assert whole["durations"] == {
        "infusion": 48.0,        # 20→35 and 42→75: pauses excluded
        "paused": 7.0,           # 35→42
        "recovery": 55.0,        # 75→130
        "discharge_wait": 15.0,  # 130→145
        "observation": 125.0,    # first dose 20 → discharged 145
        "total": 145.0,          # baseline 0 → discharged 145
    }
    assert whole["allowed_transitions"] == []


def test_illegal_transition_is_a_conflict_and_changes_nothing(api):
    sid = api.session()["id"]
    response = api.transition(sid, "recovery")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
    assert api.get(f"/api/sessions/{sid}").get_json()["state"] == "scheduled"


def test_abort_needs_a_reason_and_is_final(api):
    sid = api.session()["id"]
    assert api.transition(sid, "aborted").status_code == 422
    assert api.transition(sid, "aborted", reason="patient declined").status_code == 200
    assert api.transition(sid, "baseline").status_code == 409


def test_ready_can_return_to_recovery(api):
    sid = api.session()["id"]
    for to in ("baseline", "infusing", "recovery", "ready", "recovery", "ready", "discharged"):
        assert api.transition(sid, to).status_code == 200, to


def test_a_transition_before_the_previous_step_is_refused(api):
    sid = api.session()["id"]
    now = datetime.now(timezone.utc)
    assert api.transition(sid, "baseline", at=at(now, -10)).status_code == 200
    response = api.transition(sid, "infusing", at=at(now, -20))
    assert response.status_code == 422
    assert "at" in response.get_json()["error"]["fields"]


def test_high_baseline_needs_confirming_before_the_start(api):
    sid = api.session()["id"]
    api.transition(sid, "baseline")
    api.vitals(sid, {"sbp": 150, "dbp": 88, "hr": 70})
    refused = api.transition(sid, "infusing")
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "needs_confirmation"
    assert api.get(f"/api/sessions/{sid}").get_json()["state"] == "baseline"
    assert api.transition(sid, "infusing", confirm=True).status_code == 200


def test_baseline_of_exactly_140_over_90_starts_without_confirming(api):
    sid = api.session()["id"]
    api.transition(sid, "baseline")
    api.vitals(sid, {"sbp": 140, "dbp": 90})
    assert api.transition(sid, "infusing").status_code == 200


def test_esketamine_discharge_before_120_minutes_needs_a_clinician_override(api):
    now = datetime.now(timezone.utc)
    sid = api.session(drug="esketamine", route="intranasal", dose_mg=56, planned_minutes=None,
                      dose_mg_per_kg=None)["id"]
    for to, minute in (("baseline", -100), ("infusing", -90), ("recovery", -80), ("ready", -5)):
        assert api.transition(sid, to, at=at(now, minute)).status_code == 200
    refused = api.transition(sid, "discharged")
    assert refused.status_code == 409
    assert "120 minutes" in refused.get_json()["error"]["message"]
    assert api.transition(sid, "discharged", override=True, reason="x").status_code == 403  # a nurse
    assert api.post(f"/api/sessions/{sid}/transitions", {"to": "discharged", "override": True},
                    role="clinician").status_code == 422  # no reason
    accepted = api.post(f"/api/sessions/{sid}/transitions",
                        {"to": "discharged", "override": True, "reason": "fully recovered, escort waiting"},
                        role="clinician")
    assert accepted.status_code == 200
    assert api.get(f"/api/sessions/{sid}").get_json()["transitions"][-1]["override"] is True


def test_session_lists_filter_by_state(api):
    active = api.session()["id"]
    done = api.session()["id"]
    api.transition(done, "aborted", reason="cancelled")
    listed = lambda state: [s["id"] for s in api.get(f"/api/sessions?state={state}").get_json()["items"]]  # noqa: E731
    assert active in listed("active") and done not in listed("active")
    assert done in listed("aborted") and active not in listed("aborted")
    assert {active, done} <= set(listed("all"))
    assert api.get("/api/sessions?state=bogus").status_code == 422


def test_dose_in_mg_is_computed_from_mg_per_kg_and_weight(api):
    patient = api.patient(mrn="MRN-W", weight_kg=80)
    session = api.session(patient_id=patient["id"], dose_mg_per_kg=0.5)
    assert session["dose_mg"] == 40.0
