"""What happens to an alert over time: acknowledge, silence, latch, re-raise, break-through, no duplicates.

Every step runs on the injected clock; the scheduler's `tick` is called by hand at chosen moments.
"""
from datetime import datetime, timedelta, timezone

import pytest

from monitor.alerts import scheduler
from tests.helpers import counts

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
NORMAL = {"hr": 72, "sbp": 120, "dbp": 80, "spo2": 98, "rr": 14, "temp_c": 36.8, "consciousness": "A"}


@pytest.fixture
def session_id(api, clock):
    """An infusing session with a normal baseline, at START."""
    clock.set(START)
    sid = api.session(planned_minutes=40)["id"]
    api.transition(sid, "baseline")
    api.vitals(sid, NORMAL)
    api.transition(sid, "infusing")
    return sid


def alerts_of(api, session_id, state="active") -> list[dict]:
    return api.get(f"/api/alerts?session_id={session_id}&state={state}").get_json()["items"]


def only_alert(api, session_id, key=None) -> dict:
    """The one open alert of the session (of that key: HR above 130 also makes NEWS2 fire)."""
    [alert] = [a for a in alerts_of(api, session_id) if key in (None, a["key"])]
    return alert


def alert_events(api, since=0, key=None) -> list[tuple]:
    found = api.get(f"/api/events?since={since}").get_json()["events"]
    return [(e["type"], e["data"]["key"], e["data"]["priority"], e["data"]["state"])
            for e in found if e["type"].startswith("alert.") and key in (None, e["data"]["key"])]


def last_seq(api) -> int:
    return api.get("/api/events?since=0&limit=1").get_json()["last_seq"]


def test_an_alert_is_raised_in_the_same_transaction_as_the_vitals(api, session_id):
    response = api.vitals(session_id, {"sbp": 186, "dbp": 95})
    vitals_seq = response.get_json()["seq"]
    events = api.get(f"/api/events?since={vitals_seq - 1}").get_json()["events"]
    assert [(e["seq"], e["type"]) for e in events] == [(vitals_seq, "vitals.recorded"),
                                                      (vitals_seq + 1, "alert.raised")]
    assert events[1]["data"] | {"id": None} == {
        "id": None, "session_id": session_id, "key": "bp_high", "priority": "high", "message": "SBP 186 ≥ 180",
        "value": 186, "limits": {"sbp": {"at_least": 180}, "dbp": {"at_least": 110}}, "rules_version": 0,
        "state": "active", "latched": True, "raised_at": "2026-03-02T09:00:00.000Z", "acknowledged_by": None,
        "acknowledged_at": None, "comment": None, "silenced_until": None, "cleared_at": None, "why": "raised"}


def test_a_refused_save_raises_nothing(api, session_id, db_path):
    before = counts(db_path)
    response = api.vitals(session_id, [{"sbp": 186, "dbp": 95}, {"hr": 999}])
    assert response.status_code == 422
    assert counts(db_path) == before


def test_acknowledging_records_who_when_and_the_comment(api, clock, session_id):
    api.vitals(session_id, {"hr": 135})
    alert = only_alert(api, session_id, "hr")
    clock.advance(minutes=1)
    response = api.post(f"/api/alerts/{alert['id']}/acknowledge", {"comment": "rate reduced"}, role="clinician")
    assert response.status_code == 200
    acknowledged = response.get_json()
    assert (acknowledged["state"], acknowledged["acknowledged_by"], acknowledged["acknowledged_at"],
            acknowledged["comment"]) == ("acknowledged", "clinician", "2026-03-02T09:01:00.000Z", "rate reduced")
    audit = api.get(f"/api/audit?session_id={session_id}", role="clinician").get_json()["items"]
    assert [e["action"] for e in audit if e["entity"] == "alert" and e["entity_id"] == str(alert["id"])] == [
        "alert.acknowledge", "alert.raise"]


def test_an_alert_cannot_be_acknowledged_twice(api, session_id):
    api.vitals(session_id, {"hr": 135})
    alert_id = only_alert(api, session_id, "hr")["id"]
    assert api.post(f"/api/alerts/{alert_id}/acknowledge", {}).status_code == 200
    again = api.post(f"/api/alerts/{alert_id}/acknowledge", {})
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "conflict")


def test_a_high_alert_latches_until_acknowledged(api, clock, session_id):
    api.vitals(session_id, {"sbp": 186, "dbp": 95})
    clock.advance(minutes=5)
    api.vitals(session_id, {"sbp": 128, "dbp": 82})
    latched = only_alert(api, session_id)
    assert (latched["key"], latched["state"], latched["latched"]) == ("bp_high", "active", True)
    response = api.post(f"/api/alerts/{latched['id']}/acknowledge", {"comment": "settled"})
    assert response.get_json()["state"] == "cleared"
    assert alerts_of(api, session_id) == []
    assert alert_events(api)[-2:] == [("alert.acknowledged", "bp_high", "high", "acknowledged"),
                                      ("alert.cleared", "bp_high", "high", "cleared")]


def test_a_medium_alert_clears_by_itself_when_the_condition_clears(api, clock, session_id):
    api.vitals(session_id, {"hr": 115})
    clock.advance(minutes=5)
    api.vitals(session_id, {"hr": 95})
    assert alerts_of(api, session_id) == []
    [cleared] = alerts_of(api, session_id, "all")
    assert (cleared["state"], cleared["cleared_at"]) == ("cleared", "2026-03-02T09:05:00.000Z")


def test_an_acknowledged_alert_clears_when_the_condition_clears(api, clock, session_id):
    api.vitals(session_id, {"hr": 135})
    alert_id = only_alert(api, session_id, "hr")["id"]
    api.post(f"/api/alerts/{alert_id}/acknowledge", {})
    clock.advance(minutes=2)
    api.vitals(session_id, {"hr": 90})
    assert alerts_of(api, session_id) == []


def test_an_acknowledged_alert_still_holding_five_minutes_later_is_raised_again(api, store, clock, session_id):
    api.vitals(session_id, {"hr": 135})
    alert_id = only_alert(api, session_id, "hr")["id"]
    api.post(f"/api/alerts/{alert_id}/acknowledge", {"comment": "watching"})
    clock.advance(minutes=3)
    api.vitals(session_id, {"hr": 133})  # still holds
    clock.set(START + timedelta(minutes=4, seconds=59))
    assert scheduler.tick(store, clock()) == 0
    assert only_alert(api, session_id, "hr")["state"] == "acknowledged"
    clock.set(START + timedelta(minutes=5))
    assert scheduler.tick(store, clock()) == 1
    raised = only_alert(api, session_id, "hr")
    assert (raised["id"], raised["state"], raised["raised_at"], raised["acknowledged_by"]) == (
        alert_id, "active", "2026-03-02T09:05:00.000Z", None)
    assert alert_events(api, key="hr")[-1] == ("alert.raised", "hr", "high", "active")


def test_silence_is_at_most_ten_minutes(api, session_id, db_path):
    api.vitals(session_id, {"hr": 135})
    alert_id = only_alert(api, session_id, "hr")["id"]
    before = counts(db_path)
    too_long = api.post(f"/api/alerts/{alert_id}/silence", {"minutes": 10.5})
    assert (too_long.status_code, too_long.get_json()["error"]["fields"]) == (
        422, {"minutes": "must be more than 0 and at most 10"})
    assert api.post(f"/api/alerts/{alert_id}/silence", {"minutes": 0}).status_code == 400
    assert api.post(f"/api/alerts/{alert_id}/silence", {"minutes": "2"}).status_code == 400
    assert counts(db_path) == before
    silenced = api.post(f"/api/alerts/{alert_id}/silence", {"minutes": 10}).get_json()
    assert (silenced["state"], silenced["silenced_until"]) == ("active", "2026-03-02T09:10:00.000Z")


def test_a_silence_runs_out_on_the_scheduler(api, store, clock, session_id):
    api.vitals(session_id, {"hr": 135})
    alert_id = only_alert(api, session_id, "hr")["id"]
    api.post(f"/api/alerts/{alert_id}/silence", {"minutes": 2})
    clock.set(START + timedelta(minutes=1, seconds=59))
    api.vitals(session_id, {"hr": 134})
    scheduler.tick(store, clock())
    assert only_alert(api, session_id, "hr")["silenced_until"] == "2026-03-02T09:02:00.000Z"
    clock.set(START + timedelta(minutes=2))
    assert scheduler.tick(store, clock()) == 1
    assert only_alert(api, session_id, "hr")["silenced_until"] is None
    assert alert_events(api, key="hr")[-2:] == [("alert.silenced", "hr", "high", "active")] * 2


def test_a_higher_priority_breaks_through_a_silence(api, clock, session_id):
    api.vitals(session_id, {"hr": 115})
    medium = only_alert(api, session_id, "hr")
    api.post(f"/api/alerts/{medium['id']}/silence", {"minutes": 10})
    clock.advance(minutes=1)
    api.vitals(session_id, {"hr": 138})
    raised = only_alert(api, session_id, "hr")
    assert (raised["id"], raised["priority"], raised["message"], raised["silenced_until"], raised["latched"]) == (
        medium["id"], "high", "HR 138 > 130", None, True)
    assert alert_events(api, key="hr")[-1] == ("alert.raised", "hr", "high", "active")


def test_a_higher_priority_raises_an_acknowledged_alert_again(api, clock, session_id):
    api.vitals(session_id, {"spo2": 93})
    medium = only_alert(api, session_id, "spo2")
    api.post(f"/api/alerts/{medium['id']}/acknowledge", {})
    clock.advance(minutes=1)
    api.vitals(session_id, {"spo2": 90})
    raised = only_alert(api, session_id, "spo2")
    assert (raised["key"], raised["priority"], raised["state"]) == ("spo2", "high", "active")


def test_an_open_alert_is_never_duplicated(api, clock, session_id):
    seq = last_seq(api)
    for hr in (135, 140, 137):
        clock.advance(minutes=1)
        api.vitals(session_id, {"hr": hr})
    assert [a["message"] for a in alerts_of(api, session_id, "all") if a["key"] == "hr"] == ["HR 135 > 130"]
    assert alert_events(api, seq, key="hr") == [("alert.raised", "hr", "high", "active")]


def test_a_lower_reading_keeps_the_open_alert_at_its_priority(api, clock, session_id):
    api.vitals(session_id, {"hr": 135})
    clock.advance(minutes=1)
    api.vitals(session_id, {"hr": 115})
    alert = only_alert(api, session_id, "hr")
    assert (alert["priority"], alert["message"], alert["state"]) == ("high", "HR 135 > 130", "active")


def test_after_a_clear_the_next_breach_is_a_new_alert(api, clock, session_id):
    api.vitals(session_id, {"rr": 22})
    clock.advance(minutes=1)
    api.vitals(session_id, {"rr": 16})
    clock.advance(minutes=1)
    api.vitals(session_id, {"rr": 23})
    [new, old] = alerts_of(api, session_id, "all")
    assert (new["state"], old["state"], new["id"] != old["id"]) == ("active", "cleared", True)


def test_an_escalation_clears_once_acknowledged(api, session_id):
    api.post(f"/api/sessions/{session_id}/notes", {"kind": "escalation", "text": "please come to chair 1"})
    alert = only_alert(api, session_id)
    assert api.post(f"/api/alerts/{alert['id']}/acknowledge", {}).get_json()["state"] == "cleared"


def test_amending_the_reading_away_clears_a_medium_alert_and_voiding_the_last_one_too(api, clock, session_id):
    record = api.vitals(session_id, {"hr": 118}).get_json()
    amended = api.post(f"/api/vitals/{record['id']}/amend", {"hr": 98, "reason": "typo"})
    assert amended.status_code == 201
    assert alerts_of(api, session_id) == []
    clock.advance(minutes=1)
    wrong = api.vitals(session_id, {"rr": 23}).get_json()
    assert [a["key"] for a in alerts_of(api, session_id)] == ["rr"]
    assert api.post(f"/api/vitals/{wrong['id']}/void", {"reason": "wrong patient"}).status_code == 200
    assert alerts_of(api, session_id) == []


def test_a_discharged_or_aborted_session_leaves_no_alert_open(api, session_id):
    api.vitals(session_id, {"sbp": 186, "dbp": 95})
    api.post(f"/api/sessions/{session_id}/notes", {"kind": "escalation", "text": "call"})
    assert api.transition(session_id, "aborted", reason="hypertension, infusion stopped").status_code == 200
    assert alerts_of(api, session_id) == []
    assert {(a["key"], a["state"]) for a in alerts_of(api, session_id, "all")} == {("bp_high", "cleared"),
                                                                                   ("escalation", "cleared")}
