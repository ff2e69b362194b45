"""A nurse's shift (record/shifts.py, /api/me/chairs, /api/handovers): her chairs kept for her login, and the
handover sheet handed to another nurse, accepted by her alone, audited."""
from __future__ import annotations

import pytest

from monitor.record import users
from monitor.store.db import SYSTEM
from tests.helpers import counts

SINCE = "2026-03-18T06:00:00Z"


@pytest.fixture
def second_nurse(store, api):
    """A second nurse with her own token, to take over the shift."""
    with store.write(SYSTEM) as tx:
        user_id = users.add(tx, "nurse2", "nurse", "nurse2-password")
        api.tokens["nurse2"] = users.create_token(tx, user_id)
    return "nurse2"


def events_of(api, kind: str) -> list[dict]:
    return [e for e in api.get("/api/events?since=0").get_json()["events"] if e["type"] == kind]


def test_a_nurse_takes_chairs_and_they_are_kept_for_her_login(api):
    response = api.put("/api/me/chairs", {"chairs": ["10", "2", " 2 ", "B"]}, role="nurse")
    assert response.status_code == 200 and response.get_json() == {"chairs": ["2", "10", "B"]}
    assert api.get("/api/me/chairs").get_json() == {"chairs": ["2", "10", "B"]}
    assert api.get("/api/me/chairs", role="clinician").get_json() == {"chairs": []}
    assert [e["data"] for e in events_of(api, "chairs.chosen")] == [{"username": "nurse", "chairs": ["2", "10", "B"]}]
    audit = api.get("/api/audit", role="clinician").get_json()["items"]
    assert [(e["action"], e["actor"], e["after"]) for e in audit if e["action"] == "chairs.choose"] == [
        ("chairs.choose", "nurse", {"chairs": ["2", "10", "B"]})]


@pytest.mark.parametrize("body", [{"chairs": "3"}, {"chairs": [3]}, {}, {"chairs": ["1"] * 41},
                                  {"chairs": ["1"], "extra": True}])
def test_bad_chairs_are_refused_and_change_nothing(api, db_path, body):
    before = counts(db_path)
    response = api.put("/api/me/chairs", body, role="nurse")
    assert response.status_code in (400, 422) and response.get_json()["error"]["fields"]
    assert counts(db_path) == before


def test_an_admin_takes_no_chairs(api):
    assert api.put("/api/me/chairs", {"chairs": ["1"]}, role="admin").status_code == 403


def test_a_handover_is_accepted_by_its_receiver_and_audited(api, second_nurse, clock):
    given = api.post("/api/handovers", {"to": second_nurse, "chairs": ["3", "1"], "since": SINCE,
                                        "note": "chair 3 nauseous"})
    assert given.status_code == 201, given.get_json()
    handover = given.get_json()
    assert (handover["from"], handover["to"], handover["chairs"], handover["since"], handover["accepted_at"]) == (
        "nurse", "nurse2", ["1", "3"], "2026-03-18T06:00:00.000Z", None)
    assert api.get("/api/handovers", role=second_nurse).get_json()["handovers"] == [handover]

    assert api.post(f"/api/handovers/{handover['id']}/accept", {}, role="nurse").status_code == 403
    accepted = api.post(f"/api/handovers/{handover['id']}/accept", {}, role=second_nurse)
    assert accepted.status_code == 200 and accepted.get_json()["accepted_at"] is not None
    assert api.post(f"/api/handovers/{handover['id']}/accept", {}, role=second_nurse).status_code == 409
    assert api.get("/api/me/chairs", role=second_nurse).get_json() == {"chairs": ["1", "3"]}

    audit = api.get("/api/audit", role="clinician").get_json()["items"]
    assert [(e["action"], e["actor"], e["entity_id"]) for e in audit if e["entity"] == "handover"] == [
        ("handover.accept", "nurse2", str(handover["id"])), ("handover.give", "nurse", str(handover["id"]))]
    assert [e["type"] for e in api.get("/api/events?since=0").get_json()["events"]
            if e["type"].startswith(("handover.", "chairs."))] == ["handover.given", "handover.accepted",
                                                                   "chairs.chosen"]


@pytest.mark.parametrize("body", [
    {"to": "nobody", "chairs": ["1"], "since": SINCE},
    {"to": "nurse", "chairs": ["1"], "since": SINCE},
    {"to": "admin", "chairs": ["1"], "since": SINCE},
    {"to": "nurse2", "chairs": [], "since": SINCE},
    {"to": "nurse2", "chairs": ["1"], "since": "yesterday"},
    {"to": "nurse2", "chairs": ["1"]},
])
def test_a_bad_handover_is_refused_and_changes_nothing(api, second_nurse, db_path, body):
    before = counts(db_path)
    response = api.post("/api/handovers", body)
    assert response.status_code in (400, 422) and response.get_json()["error"]["fields"], response.get_json()
    assert counts(db_path) == before


def test_an_unknown_handover_is_not_found(api):
    assert api.post("/api/handovers/999/accept", {}).status_code == 404
