"""The alert endpoints: the list, who may acknowledge and silence, and the versioned thresholds."""
import copy
from datetime import datetime, timezone

import pytest

from monitor.rules.alert_rules import DEFAULT_RULES
from tests.helpers import counts

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def session_id(api, clock):
    clock.set(START)
    sid = api.session()["id"]
    api.transition(sid, "baseline")
    return sid


def test_the_list_is_highest_priority_first_and_active_means_not_cleared(api, clock, session_id):
    other = api.session(chair="2")["id"]
    api.vitals(session_id, {"temp_c": 39.4})                      # temp, medium
    clock.advance(minutes=1)
    api.post(f"/api/sessions/{other}/side-effects", {"kind": "nausea", "severity": "moderate"})  # low
    clock.advance(minutes=1)
    api.vitals(other, {"sbp": 184, "dbp": 96})                     # bp_high, high
    listed = api.get("/api/alerts").get_json()["items"]
    assert [(a["session_id"], a["key"], a["priority"]) for a in listed] == [
        (other, "bp_high", "high"), (session_id, "temp", "medium"), (other, "side_effect", "low")]
    clock.advance(minutes=1)
    api.vitals(session_id, {"temp_c": 37.2})
    assert [a["key"] for a in api.get("/api/alerts?state=active").get_json()["items"]] == ["bp_high", "side_effect"]
    assert [a["key"] for a in api.get("/api/alerts?state=all").get_json()["items"]] == [
        "bp_high", "temp", "side_effect"]


def test_an_unknown_state_filter_is_refused(api):
    response = api.get("/api/alerts?state=open")
    assert (response.status_code, response.get_json()["error"]["fields"]) == (422, {"state": "must be active or all"})


@pytest.mark.parametrize(("role", "status"), [("nurse", 200), ("clinician", 200), ("admin", 403)])
def test_nurses_and_clinicians_acknowledge_and_silence(api, session_id, role, status):
    api.vitals(session_id, {"temp_c": 39.4})
    [alert] = api.get("/api/alerts").get_json()["items"]
    assert api.post(f"/api/alerts/{alert['id']}/silence", {"minutes": 2}, role=role).status_code == status
    assert api.post(f"/api/alerts/{alert['id']}/acknowledge", {}, role=role).status_code == status


def test_acknowledging_an_unknown_or_cleared_alert(api, clock, session_id):
    assert api.post("/api/alerts/999/acknowledge", {}).status_code == 404
    api.vitals(session_id, {"temp_c": 39.4})
    clock.advance(minutes=1)
    api.vitals(session_id, {"temp_c": 37.0})
    [cleared] = api.get("/api/alerts?state=all").get_json()["items"]
    assert api.post(f"/api/alerts/{cleared['id']}/acknowledge", {}).status_code == 409
    assert api.post(f"/api/alerts/{cleared['id']}/silence", {"minutes": 1}).status_code == 409


def test_an_acknowledgement_takes_no_unknown_fields(api, session_id, db_path):
    api.vitals(session_id, {"temp_c": 39.4})
    [alert] = api.get("/api/alerts").get_json()["items"]
    before = counts(db_path)
    response = api.post(f"/api/alerts/{alert['id']}/acknowledge", {"comment": "ok", "by": "someone else"})
    assert (response.status_code, response.get_json()["error"]["fields"]) == (400, {"by": "unknown field"})
    assert counts(db_path) == before


def test_the_rules_in_force_are_the_defaults_until_changed(api):
    body = api.get("/api/alert-rules").get_json()
    assert (body["version"], body["rules"], body["versions"]) == (0, DEFAULT_RULES, [])


def test_a_clinician_changes_a_threshold_with_a_reason_and_every_version_is_kept(api, clock, session_id):
    rules = copy.deepcopy(DEFAULT_RULES)
    rules["temp"]["medium"]["temp_c"]["at_least"] = 38.5
    changed = api.put("/api/alert-rules", {"rules": rules, "reason": "clinic protocol 2026-03"}, role="clinician")
    assert changed.status_code == 200
    assert changed.get_json()["version"] == 1
    rules["hr"]["medium"]["hr"]["above"] = 115
    api.put("/api/alert-rules", {"rules": rules, "reason": "fewer tachycardia alarms"}, role="admin")
    body = api.get("/api/alert-rules").get_json()
    assert [(v["version"], v["reason"], v["changed_by"]) for v in body["versions"]] == [
        (1, "clinic protocol 2026-03", "clinician"), (2, "fewer tachycardia alarms", "admin")]
    assert body["rules"]["temp"]["medium"]["temp_c"]["at_least"] == 38.5
    api.vitals(session_id, {"temp_c": 38.6, "hr": 112})
    [alert] = api.get("/api/alerts").get_json()["items"]
    assert (alert["key"], alert["message"], alert["rules_version"]) == ("temp", "Temp 38.6 ≥ 38.5", 2)


@pytest.mark.parametrize(("body", "role", "status"), [
    ({"rules": DEFAULT_RULES, "reason": "tidy"}, "nurse", 403),
    ({"rules": DEFAULT_RULES}, "clinician", 400),
    ({"rules": DEFAULT_RULES, "reason": "   "}, "clinician", 422),
    ({"rules": DEFAULT_RULES | {"max_silence_minutes": 30}, "reason": "quiet"}, "clinician", 422),
    ({"rules": DEFAULT_RULES | {"made_up": {}}, "reason": "x"}, "clinician", 400),
])
def test_a_bad_rule_change_is_refused_and_changes_nothing(api, db_path, body, role, status):
    before = counts(db_path)
    assert api.put("/api/alert-rules", body, role=role).status_code == status
    assert counts(db_path) == before


def test_a_rule_change_is_audited_with_before_and_after(api):
    rules = copy.deepcopy(DEFAULT_RULES)
    rules["sbp_low"]["high"]["sbp"]["at_most"] = 85
    api.put("/api/alert-rules", {"rules": rules, "reason": "protocol"}, role="clinician")
    [entry] = [e for e in api.get("/api/audit", role="admin").get_json()["items"]
               if e["action"] == "alert_rules.change"]
    assert (entry["actor"], entry["before"]["sbp_low"], entry["after"]["sbp_low"]) == (
        "clinician", {"high": {"sbp": {"at_most": 90}}}, {"high": {"sbp": {"at_most": 85}}})


def test_the_alert_endpoints_are_in_the_openapi_document(api):
    paths = api.get("/api/openapi.json", role=None).get_json()["paths"]
    assert {m for m in paths["/api/alert-rules"]} == {"get", "put"}
    assert paths["/api/alerts/{alert_id}/silence"]["post"]["x-roles"] == ["nurse", "clinician"]
