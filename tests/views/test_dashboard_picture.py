"""The central station's picture: what each tile carries, read in the same few queries for any number of chairs."""
from __future__ import annotations

import pytest

from monitor.views import dashboard


def busy_chair(api, chair: str) -> int:
    """An infusing session with a reading that raises an alert, an open side effect and a MOAA/S score."""
    session_id = api.session(chair=chair)["id"]
    api.transition(session_id, "baseline")
    api.vitals(session_id, {"hr": 72, "sbp": 120, "dbp": 80})
    assert api.transition(session_id, "infusing").status_code == 200
    assert api.vitals(session_id, {"hr": 135, "sbp": 150, "dbp": 90, "spo2": 97}).status_code == 201
    api.post(f"/api/sessions/{session_id}/side-effects", {"kind": "nausea", "severity": "mild"})
    api.post(f"/api/sessions/{session_id}/assessments", {"instrument": "moaas", "items": {"score": 4}})
    return session_id


def nurse(store) -> dict:
    user_id, = store.db.execute("SELECT id FROM users WHERE username = 'nurse'").fetchone()
    return {"id": user_id, "username": "nurse", "role": "nurse"}


def queries_for_picture(store, user) -> tuple[int, dict]:
    statements = []
    store.db.conn.set_trace_callback(statements.append)
    try:
        picture = dashboard.picture(store.db, user)
    finally:
        store.db.conn.set_trace_callback(None)
    return len(statements), picture


def test_a_tile_carries_what_the_dashboard_shows_and_only_initials_and_the_mrn_tail(api, store):
    session_id = busy_chair(api, "4")
    api.session(chair="9")  # scheduled: a tile without readings
    ended = busy_chair(api, "7")
    api.transition(ended, "aborted", reason="patient asked to stop")
    picture = dashboard.picture(store.db, nurse(store))
    tiles = {t["session"]["id"]: t for t in picture["tiles"]}
    assert [t["session"]["chair"] for t in picture["tiles"]] == ["4", "9"]
    busy = tiles[session_id]
    assert busy["session"] == {"id": session_id, "chair": "4", "state": "infusing", "drug": "ketamine",
                               "route": "iv", "planned_minutes": 40}
    assert busy["patient"] == {"initials": "GO", "mrn_tail": "1000"}  # MRN-1000
    assert list(busy["timeline"]) == ["baseline", "infusing"]
    assert [(v["hr"], v["sbp"], v["entered_by"]) for v in busy["vitals"]] == [(72, 120, "nurse"), (135, 150, "nurse")]
    assert busy["vitals"][1]["news2"]["score"] >= 2
    assert [m["score"] for m in busy["moaas"]] == [4]
    assert [(e["kind"], e["severity"], e["resolved_at"]) for e in busy["side_effects"]] == [("nausea", "mild", None)]
    assert {a["key"] for a in busy["alerts"]} >= {"hr"}
    assert busy["mine"] is True
    other = next(t for t in picture["tiles"] if t["session"]["chair"] == "9")
    assert (other["vitals"], other["moaas"], other["side_effects"], other["alerts"]) == ([], [], [], [])
    assert picture["last_seq"] > 0


@pytest.mark.parametrize("role", ["nurse", "clinician"])
def test_the_picture_takes_the_same_number_of_queries_for_2_and_for_12_chairs(api, store, role):
    user = nurse(store) | {"role": role}
    for chair in ("1", "2"):
        busy_chair(api, chair)
    two, picture = queries_for_picture(store, user)
    assert len(picture["tiles"]) == 2
    for chair in range(3, 13):
        busy_chair(api, str(chair))
    twelve, picture = queries_for_picture(store, user)
    assert len(picture["tiles"]) == 12
    assert all(t["vitals"] and t["alerts"] and t["side_effects"] and t["moaas"] for t in picture["tiles"])
    assert two == twelve <= 9  # the seq, seven reads for the tiles, the nurse's chosen chairs
