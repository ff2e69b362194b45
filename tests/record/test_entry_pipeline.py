"""One pipeline for an entry (issue 11 point 4; issue 10 points 6 and 14): every kind of entry replays an
Idempotency-Key matched exactly and only for its own caller, route and body, and a discharged session
takes only what happened before the discharge, flagged late."""
from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers import counts, refused


def ago(minutes: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(minutes=minutes)).isoformat()


# The four kinds of entry, each as (path under the session, a body, the session record's list).
ENTRIES = {
    "vitals": ("vitals", {"hr": 81}, "vitals"),
    "side effect": ("side-effects", {"kind": "nausea", "severity": "mild"}, "side_effects"),
    "assessment": ("assessments", {"instrument": "moaas", "items": {"score": 4}}, "assessments"),
    "note": ("notes", {"kind": "note", "text": "resting, calm"}, "notes"),
}


def entries_of(api, sid, listing):
    return api.get(f"/api/sessions/{sid}").get_json()[listing]


@pytest.mark.parametrize("kind", ENTRIES)
def test_a_repeated_key_answers_the_first_record_and_stores_once(api, kind):
    path, body, listing = ENTRIES[kind]
    sid = api.session()["id"]
    headers = {"Idempotency-Key": "k-1"}
    first = api.post(f"/api/sessions/{sid}/{path}", body, headers=headers)
    again = api.post(f"/api/sessions/{sid}/{path}", body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert len(entries_of(api, sid, listing)) == 1


@pytest.mark.parametrize("kind", ENTRIES)
def test_the_same_key_for_another_session_is_a_conflict_that_stores_nothing(api, db_path, kind):
    """Issue 10 point 6 as written: the key sent for another session returned the first session's record."""
    path, body, listing = ENTRIES[kind]
    first_sid, other_sid = api.session()["id"], api.session()["id"]
    headers = {"Idempotency-Key": "shared-key"}
    assert api.post(f"/api/sessions/{first_sid}/{path}", body, headers=headers).status_code == 201
    before = counts(db_path)
    error = refused(api.post(f"/api/sessions/{other_sid}/{path}", body, headers=headers), 409, db_path, before,
                    "conflict")
    assert "Idempotency-Key" in error["fields"]
    assert entries_of(api, other_sid, listing) == []


@pytest.mark.parametrize("kind", ENTRIES)
def test_the_same_key_with_another_body_is_a_conflict(api, db_path, kind):
    path, body, _ = ENTRIES[kind]
    sid = api.session()["id"]
    headers = {"Idempotency-Key": "one-action"}
    assert api.post(f"/api/sessions/{sid}/{path}", body, headers=headers).status_code == 201
    changed = dict(body) | ({"hr": 99} if kind == "vitals" else {"observed_at": ago(1)} if kind == "side effect"
                            else {"items": {"score": 3}} if kind == "assessment" else {"text": "asleep"})
    before = counts(db_path)
    refused(api.post(f"/api/sessions/{sid}/{path}", changed, headers=headers), 409, db_path, before, "conflict")


def test_the_same_key_on_another_route_is_a_conflict(api, db_path):
    sid = api.session()["id"]
    headers = {"Idempotency-Key": "tablet-42"}
    assert api.vitals(sid, {"hr": 80}, headers=headers).status_code == 201
    before = counts(db_path)
    refused(api.post(f"/api/sessions/{sid}/notes", {"kind": "note", "text": "calm"}, headers=headers), 409,
            db_path, before, "conflict")


@pytest.mark.parametrize("stored_key, sent_key", [("a1b2", "a_b2"), ("a1b2", "a%"), ("ab%", "ab_"),
                                                  ("AbC", "abc")])
def test_a_key_matches_exactly_never_as_a_pattern(api, stored_key, sent_key):
    """`_` and `%` in a key acted as LIKE wildcards: a new save answered with another save's record."""
    sid = api.session()["id"]
    first = api.vitals(sid, {"hr": 80}, headers={"Idempotency-Key": stored_key}).get_json()
    second = api.vitals(sid, {"hr": 80}, headers={"Idempotency-Key": sent_key})
    assert second.status_code == 201
    assert second.get_json()["id"] != first["id"]
    assert len(entries_of(api, sid, "vitals")) == 2


def test_a_key_belongs_to_its_caller(api):
    sid = api.session()["id"]
    headers = {"Idempotency-Key": "same-words"}
    by_nurse = api.vitals(sid, {"hr": 80}, headers=headers).get_json()
    by_clinician = api.vitals(sid, {"hr": 80}, headers=headers, role="clinician").get_json()
    assert by_clinician["id"] != by_nurse["id"]
    assert by_clinician["entered_by"] == "clinician"


def test_a_list_of_vitals_replays_as_the_whole_list(api):
    sid = api.session()["id"]
    body = [{"hr": 80, "taken_at": ago(6)}, {"hr": 82, "taken_at": ago(3)}]
    first = api.vitals(sid, body, headers={"Idempotency-Key": "batch-1"}).get_json()
    again = api.vitals(sid, body, headers={"Idempotency-Key": "batch-1"}).get_json()
    assert [r["id"] for r in again] == [r["id"] for r in first]
    assert len(entries_of(api, sid, "vitals")) == 2


def test_a_refused_entry_leaves_its_key_free_for_the_corrected_one(api, db_path):
    """Nothing was stored, so the same action may be sent again with the change (an unusual value confirmed)."""
    sid = api.session()["id"]
    headers = {"Idempotency-Key": "confirm-me"}
    before = counts(db_path)
    refused(api.vitals(sid, {"hr": 225}, headers=headers), 422, db_path, before, "needs_confirmation")
    assert api.vitals(sid, {"hr": 225, "confirm": True}, headers=headers).status_code == 201


def test_a_retry_after_signing_still_answers_the_stored_record(api):
    """The answer of a save can be lost on the way back; the tablet's retry must not turn into a refusal."""
    sid = api.session()["id"]
    headers = {"Idempotency-Key": "lost-answer"}
    first = api.vitals(sid, {"hr": 80}, headers=headers).get_json()
    for state in ("baseline", "aborted"):
        api.transition(sid, state, reason="patient unwell")
    assert api.post(f"/api/sessions/{sid}/sign", {"password": "clinician-password-1", "meaning": "reviewed"},
                    role="clinician").status_code == 200
    again = api.vitals(sid, {"hr": 80}, headers=headers)
    assert again.status_code == 201 and again.get_json()["id"] == first["id"]


# A discharged session (issue 10 point 14).

def discharged_session(api, sid: int | None = None) -> tuple[int, datetime]:
    """A session (a new one, or `sid`) taken through to its discharge 5 minutes ago."""
    sid = sid or api.session()["id"]
    start = datetime.now(timezone.utc) - timedelta(minutes=65)
    for state, minute in [("baseline", 0), ("infusing", 5), ("recovery", 45), ("ready", 55), ("discharged", 60)]:
        assert api.transition(sid, state, at=(start + timedelta(minutes=minute)).isoformat()).status_code == 200
    return sid, start + timedelta(minutes=60)


ENTRY_AT = {  # each kind of entry at a given clinical time
    "vitals": lambda at: ("vitals", {"hr": 74, "taken_at": at}),
    "side effect": lambda at: ("side-effects", {"kind": "dizziness", "severity": "mild", "observed_at": at}),
    "intervention": lambda at: ("side-effects", {"kind": "nausea", "severity": "mild", "observed_at": ago(30),
                                                 "intervention": {"drug": "ondansetron", "at": at}}),
    "assessment": lambda at: ("assessments", {"instrument": "moaas", "items": {"score": 5}, "at": at}),
    "note": lambda at: ("notes", {"kind": "note", "text": "walked to the door", "at": at}),
}


@pytest.mark.parametrize("kind", ENTRY_AT)
def test_after_discharge_an_entry_timed_after_it_is_refused_saying_why(api, db_path, kind):
    """Issue 10 point 14 as written: vitals taken after the session was discharged were accepted (201)."""
    sid, _ = discharged_session(api)
    path, body = ENTRY_AT[kind](ago(1))
    before = counts(db_path)
    error = refused(api.post(f"/api/sessions/{sid}/{path}", body), 409, db_path, before, "conflict")
    assert "discharged at" in error["message"] and "after the discharge" in error["message"]


@pytest.mark.parametrize("kind", ENTRY_AT)
def test_after_discharge_an_entry_timed_before_it_is_stored_late(api, kind):
    sid, _ = discharged_session(api)
    path, body = ENTRY_AT[kind](ago(20))  # taken 15 minutes before the discharge, entered now
    response = api.post(f"/api/sessions/{sid}/{path}", body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["late"] is True


def test_after_discharge_a_note_without_a_time_is_refused(api, db_path):
    """A time left out is now, which is after the discharge."""
    sid, _ = discharged_session(api)
    before = counts(db_path)
    refused(api.post(f"/api/sessions/{sid}/notes", {"kind": "note", "text": "phoned, home safely"}), 409,
            db_path, before, "conflict")


def test_after_discharge_an_amendment_must_keep_the_time_before_it(api, db_path):
    sid = api.session()["id"]
    record = api.vitals(sid, {"hr": 74, "taken_at": ago(70)}).get_json()
    discharged_session(api, sid)
    before = counts(db_path)
    refused(api.post(f"/api/vitals/{record['id']}/amend", {"taken_at": ago(1), "reason": "wrong time"}), 409,
            db_path, before, "conflict")
    amended = api.post(f"/api/vitals/{record['id']}/amend", {"hr": 76, "reason": "misread"})
    assert amended.status_code == 201 and amended.get_json()["late"] is True


def test_after_discharge_a_resolution_after_it_is_refused(api, db_path):
    sid = api.session()["id"]
    effect = api.post(f"/api/sessions/{sid}/side-effects",
                      {"kind": "nausea", "severity": "mild", "observed_at": ago(70)}).get_json()
    discharged_session(api, sid)
    before = counts(db_path)
    refused(api.post(f"/api/side-effects/{effect['id']}/resolve", {}), 409, db_path, before, "conflict")
    assert api.post(f"/api/side-effects/{effect['id']}/resolve", {"resolved_at": ago(30)}).status_code == 200

