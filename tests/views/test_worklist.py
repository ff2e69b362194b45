"""GET /api/worklist: what is waiting for the caller, and the header's count of it on every page."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from tests.helpers import sign_in

START = datetime(2026, 3, 18, 9, 0, tzinfo=timezone.utc)


def test_the_worklist_of_a_clinician_and_of_a_nurse(app, api, clock):
    clock.set(START)
    first = api.session()["id"]
    api.transition(first, "aborted", reason="unwell")
    clock.advance(minutes=30)
    second = api.session()["id"]
    api.transition(second, "aborted", reason="rebooked")
    esketamine = api.session(drug="esketamine", route="intranasal", dose_mg=56)["id"]
    api.transition(esketamine, "baseline")
    api.transition(esketamine, "infusing")
    api.vitals(esketamine, {"sbp": 186, "dbp": 96, "hr": 80})  # bp_high
    clock.advance(minutes=12)  # vitals every 10 minutes while infusing: due, not yet overdue (15)
    listed = api.get("/api/worklist", role="clinician").get_json()
    assert [(r["session_id"], r["waiting_minutes"]) for r in listed["to_sign"]["items"]] == [(first, 42), (second, 12)]
    assert [r["session_id"] for r in listed["rems_due"]["items"]] == [esketamine]
    assert [a["key"] for a in listed["alerts"]["items"]] == ["bp_high"]
    assert [(d["session_id"], d["what"], d["overdue"]) for d in listed["due"]["items"]] == [
        (esketamine, "vitals", False)]
    assert listed["count"] == 5
    nurse = api.get("/api/worklist", role="nurse").get_json()
    assert "to_sign" not in nurse and nurse["count"] == 3
    clock.advance(minutes=5)
    assert api.get("/api/worklist").get_json()["due"]["items"][0]["overdue"] is True
    api.post(f"/api/sessions/{first}/sign", {"password": "clinician-password-1", "meaning": "Reviewed"},
             role="clinician")
    assert [r["session_id"] for r in api.get("/api/worklist", role="clinician").get_json()["to_sign"]["items"]] == [
        second]

    client = app.test_client()
    sign_in(client, "clinician")
    for path in ("/", "/sessions", "/reports", f"/sessions/{second}"):
        html = client.get(path).get_data(as_text=True)
        assert re.search(r'id="worklist-count" class="count">4<', html), path


def test_a_session_in_recovery_without_a_discharge_score_has_one_due(api, clock):
    clock.set(START)
    sid = api.session()["id"]
    for state in ("baseline", "infusing", "recovery"):
        api.transition(sid, state)
    api.vitals(sid, {"hr": 70, "sbp": 120, "dbp": 80})
    due = [(d["what"], d["overdue"]) for d in api.get("/api/worklist").get_json()["due"]["items"]]
    assert due == [("discharge score", False)]
    api.post(f"/api/sessions/{sid}/assessments", {"instrument": "aldrete", "items": {
        "activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 2}})
    assert api.get("/api/worklist").get_json()["due"]["items"] == []
    clock.advance(minutes=16)  # every 15 minutes in recovery
    assert [d["what"] for d in api.get("/api/worklist").get_json()["due"]["items"]] == ["vitals"]
