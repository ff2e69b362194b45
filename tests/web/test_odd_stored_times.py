"""A page never dies on one odd stored value (issue 10 point 2): rows written before times were checked
where they enter (a year stored as `999-…`, an intervention time of "10:30") are inserted here with SQL, as
they sit in an older database, and every page that shows the session still answers, showing the odd
value and saying what is wrong with it."""
import json
import sqlite3

import pytest

from tests.helpers import sign_in

STAMP = "2026-12-01T10:00:00.000Z"
NEWS2 = json.dumps({"score": 0, "band": "none", "single_3": False, "partial": True})


@pytest.fixture
def odd_session(api, db_path):
    """An infusing session with one odd time in each kind of entry and in an intervention."""
    sid = api.session()["id"]
    api.transition(sid, "baseline")
    api.vitals(sid, {"hr": 80, "sbp": 120, "dbp": 80})
    api.transition(sid, "infusing")
    db = sqlite3.connect(db_path)
    with db:
        db.execute("INSERT INTO vitals (session_id, taken_at, hr, news2, source, entered_at, entered_by, late, seq)"
                   " VALUES (?, '999-01-01T10:00:00.000Z', 77, ?, 'manual', ?, 1, 0, 1)", (sid, NEWS2, STAMP))
        db.execute("INSERT INTO side_effects (session_id, kind, severity, observed_at, intervention, serious,"
                   " entered_at, entered_by, late) VALUES (?, 'nausea', 'mild', ?, ?, 0, ?, 1, 0)",
                   (sid, STAMP, json.dumps({"drug": "ondansetron", "dose": "4 mg", "at": "10:30"}), STAMP))
        db.execute("INSERT INTO side_effects (session_id, kind, severity, observed_at, serious, entered_at,"
                   " entered_by, late) VALUES (?, 'headache', 'mild', '999-05-01T10:00:00.000Z', 0, ?, 1, 0)",
                   (sid, STAMP))
        db.execute("INSERT INTO notes (session_id, kind, text, at, entered_at, entered_by, late)"
                   " VALUES (?, 'note', 'an old note', '999-01-01T10:00:00.000Z', ?, 1, 0)", (sid, STAMP))
        db.execute("INSERT INTO assessments (session_id, instrument, items, total, at, entered_at, entered_by, late)"
                   " VALUES (?, 'moaas', '{\"score\": 4}', 4, '999-01-01T10:00:00.000Z', ?, 1, 0)", (sid, STAMP))
    db.close()
    return sid


PAGES = ["/sessions/{sid}", "/sessions/{sid}/panels", "/sessions/{sid}/record", "/", "/handover", "/worklist",
         "/sessions", "/api/sessions/{sid}"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_of_the_session_answers_with_odd_stored_times(api, client, odd_session, path):
    sign_in(client, "clinician")
    response = client.get(path.format(sid=odd_session))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("path", ["/sessions/{sid}", "/sessions/{sid}/record"])
def test_the_bedside_and_printed_record_show_each_odd_time_and_say_so(api, client, odd_session, path):
    sign_in(client, "nurse")
    html = client.get(path.format(sid=odd_session)).get_data(as_text=True)
    assert "999-01-01T10:00:00.000Z (before 1900)" in html  # the vitals, note and score
    assert "999-05-01T10:00:00.000Z (before 1900)" in html  # the side effect's onset
    assert "10:30 (not a readable time)" in html  # the intervention's time


def test_the_patients_page_answers(api, client, odd_session):
    sign_in(client, "clinician")
    patient_id = api.get(f"/api/sessions/{odd_session}").get_json()["patient_id"]
    assert client.get(f"/patients/{patient_id}").status_code == 200
