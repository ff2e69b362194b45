"""Corrections never overwrite: amend adds a version, void keeps the record out of trends and scores."""
import sqlite3

import pytest

from tests.helpers import counts


@pytest.fixture
def sid(api):
    return api.session()["id"]


def test_amend_keeps_the_original_unchanged_and_in_the_history(api, sid):
    original = api.vitals(sid, {"hr": 88, "sbp": 130, "dbp": 80}).get_json()
    response = api.post(f"/api/vitals/{original['id']}/amend", {"sbp": 103, "reason": "transposed digits"})
    assert response.status_code == 201
    amended = response.get_json()
    assert amended["supersedes"] == original["id"]
    assert (amended["sbp"], amended["hr"], amended["reason"]) == (103, 88, "transposed digits")

    old = api.get(f"/api/vitals/{original['id']}").get_json()
    assert old["status"] == "amended"
    assert old["sbp"] == 130
    assert [v["id"] for v in old["history"]] == [original["id"], amended["id"]]
    assert [v["status"] for v in old["history"]] == ["amended", "current"]


def test_amend_needs_a_reason_and_a_current_record(api, sid):
    original = api.vitals(sid, {"hr": 88}).get_json()
    assert api.post(f"/api/vitals/{original['id']}/amend", {"hr": 89}).status_code == 400
    assert api.post(f"/api/vitals/{original['id']}/amend", {"hr": 89, "reason": " "}).status_code == 422
    api.post(f"/api/vitals/{original['id']}/amend", {"hr": 89, "reason": "typo"})
    assert api.post(f"/api/vitals/{original['id']}/amend", {"hr": 90, "reason": "again"}).status_code == 409


def test_amend_applies_the_same_validation(api, sid, db_path):
    original = api.vitals(sid, {"hr": 88}).get_json()
    before = counts(db_path)
    assert api.post(f"/api/vitals/{original['id']}/amend", {"hr": 400, "reason": "x"}).status_code == 422
    assert counts(db_path) == before


def test_void_keeps_the_record_and_takes_it_out_of_scores(api, sid):
    wrong = api.vitals(sid, {"rr": 30, "spo2": 98, "sbp": 120, "hr": 80, "temp_c": 37.0,
                             "consciousness": "A"}).get_json()
    assert wrong["news2"]["score"] == 3
    response = api.post(f"/api/vitals/{wrong['id']}/void", {"reason": "wrong patient"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "void"
    assert response.get_json()["void_reason"] == "wrong patient"
    later = api.vitals(sid, {"hr": 80}).get_json()
    assert later["news2"]["partial"] is True  # the voided rr 30 no longer counts
    assert later["news2"]["score"] == 0
    whole = api.get(f"/api/sessions/{sid}").get_json()
    assert [v["status"] for v in whole["vitals"]] == ["void", "current"]
    assert api.post(f"/api/vitals/{wrong['id']}/void", {"reason": "again"}).status_code == 409


def test_void_needs_a_reason(api, sid):
    stored = api.vitals(sid, {"hr": 80}).get_json()
    assert api.post(f"/api/vitals/{stored['id']}/void", {}).status_code == 400


@pytest.mark.parametrize("table", ["vitals", "vitals_voids", "side_effects", "assessments", "notes", "audit",
                                   "events", "transitions", "signatures", "side_effect_resolutions"])
def test_the_database_refuses_update_and_delete_on_clinical_and_audit_tables(api, sid, db_path, table):
    stored = api.vitals(sid, {"hr": 80}).get_json()
    api.post(f"/api/vitals/{stored['id']}/void", {"reason": "test"})
    effect = api.post(f"/api/sessions/{sid}/side-effects", {"kind": "nausea", "severity": "mild"}).get_json()
    api.post(f"/api/side-effects/{effect['id']}/resolve", {})
    api.post(f"/api/sessions/{sid}/assessments", {"instrument": "moaas", "items": {"score": 5}})
    api.post(f"/api/sessions/{sid}/notes", {"kind": "note", "text": "comfortable"})
    api.transition(sid, "aborted", reason="test")
    api.post(f"/api/sessions/{sid}/sign", {"password": "clinician-password-1", "meaning": "reviewed"},
             role="clinician")
    conn = sqlite3.connect(db_path)
    assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] > 0
    column = {"events": "type", "audit": "action"}.get(table, "id")
    with pytest.raises(sqlite3.IntegrityError, match="insert-only"):
        conn.execute(f"UPDATE {table} SET {column} = {column}")
    with pytest.raises(sqlite3.IntegrityError, match="insert-only"):
        conn.execute(f"DELETE FROM {table}")
    conn.close()
