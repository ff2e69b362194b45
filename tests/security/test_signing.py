"""Signing (issue 10 points 3 and 4): only a finished session is signed, and a wrong password at the sign
endpoint counts toward the same lockout as the login form."""
from __future__ import annotations

import pytest

from tests.helpers import PASSWORDS, counts, sign_in

SIGN = {"password": PASSWORDS["clinician"], "meaning": "Reviewed"}


def walk(api, session_id: int, *states: str) -> None:
    for state in states:
        response = api.transition(session_id, state, confirm=True)
        assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("states", [(), ("baseline",), ("baseline", "infusing"), ("baseline", "infusing", "paused"),
                                    ("baseline", "infusing", "recovery")])
def test_a_session_not_yet_finished_cannot_be_signed_and_nothing_changes(api, db_path, states):
    sid = api.session()["id"]
    walk(api, sid, *states)
    before = counts(db_path)
    response = api.post(f"/api/sessions/{sid}/sign", SIGN, role="clinician")
    state = states[-1] if states else "scheduled"
    assert response.status_code == 409
    assert response.get_json()["error"] == {
        "code": "conflict", "fields": {"state": f"is {state}"},
        "message": f"only a discharged or aborted session can be signed; this one is {state}: "
                   "discharge or abort it first"}
    assert counts(db_path) == before


def test_an_infusing_session_refused_a_signature_still_moves_on_and_is_signed_once_aborted(api):
    """The issue's case: signed while infusing, the session could never take vitals or be aborted."""
    sid = api.session()["id"]
    walk(api, sid, "baseline", "infusing")
    assert api.post(f"/api/sessions/{sid}/sign", SIGN, role="clinician").status_code == 409
    assert api.vitals(sid, {"hr": 88, "spo2": 97}).status_code == 201
    assert api.transition(sid, "aborted", reason="patient asked to stop").status_code == 200
    signed = api.post(f"/api/sessions/{sid}/sign", SIGN, role="clinician")
    assert signed.status_code == 200
    assert signed.get_json()["locked"] is True


def test_wrong_passwords_at_the_sign_endpoint_count_toward_the_login_lockout(app, api, db_path):
    """Issue 10 point 4: 12 wrong passwords were 12 x 422. Now the fifth failure locks the name out, for the
    sign endpoint and the login form alike, even with the right password; nothing clinical is written."""
    sid = api.session()["id"]
    api.transition(sid, "aborted", reason="patient declined")
    before = counts(db_path)
    answers = [api.post(f"/api/sessions/{sid}/sign", {"password": f"guess-{i}", "meaning": "Reviewed"},
                        role="clinician") for i in range(12)]
    assert [a.status_code for a in answers] == [422] * 5 + [429] * 7
    assert answers[-1].get_json()["error"]["code"] == "locked_out"
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert api.post(f"/api/sessions/{sid}/sign", SIGN, role="clinician").status_code == 429
    assert sign_in(app.test_client(), "clinician").status_code == 429
    after = counts(db_path)
    # only the five failures are kept, each under the name and under the address
    assert after.pop("login_attempts") == 2 * 5 and {k: v for k, v in before.items() if k != "login_attempts"} == after
    assert api.get(f"/api/sessions/{sid}").get_json()["locked"] is False
