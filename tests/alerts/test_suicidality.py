"""The safety rule of CLINICAL.md §8: a PHQ-9 with item 9 at 1 or more raises a high `suicidality` alert
at once, whatever the total; it stays until a clinician acknowledges it with a comment, even after a
later PHQ-9 with item 9 at 0, and the session cannot be discharged before that."""
from tests.helpers import counts, sign_in

ITEM_9_ONLY = {f"item_{n}": 0 for n in range(1, 9)}


def phq9(api, session_id, item_1=0, item_2=0, item_9=0, role="nurse"):
    items = ITEM_9_ONLY | {"item_1": item_1, "item_2": item_2, "item_9": item_9}
    response = api.post(f"/api/sessions/{session_id}/assessments", {"instrument": "phq9", "items": items}, role=role)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def open_alerts(api, session_id):
    return api.get(f"/api/alerts?session_id={session_id}").get_json()["items"]


def test_item_9_raises_a_high_alert_that_outlasts_a_later_clean_phq9(api):
    session = api.session()["id"]
    api.transition(session, "baseline")
    scored = phq9(api, session, item_1=1, item_2=1, item_9=1)
    assert (scored["total"], scored["band"]) == (3, "minimal")
    [alert] = open_alerts(api, session)
    assert (alert["key"], alert["priority"], alert["state"], alert["latched"]) == (
        "suicidality", "high", "active", True)
    assert alert["message"].startswith("PHQ-9 item 9 = 1 ≥ 1")
    phq9(api, session, item_9=0)
    [still] = open_alerts(api, session)
    assert (still["id"], still["state"]) == (alert["id"], "active")


def test_only_a_clinician_with_a_comment_ends_it(api, db_path):
    session = api.session()["id"]
    api.transition(session, "baseline")
    alert = phq9(api, session, item_9=2) and open_alerts(api, session)[0]
    before = counts(db_path)
    by_nurse = api.post(f"/api/alerts/{alert['id']}/acknowledge", {"comment": "seen"}, role="nurse")
    without_comment = api.post(f"/api/alerts/{alert['id']}/acknowledge", {"comment": " "}, role="clinician")
    assert (by_nurse.status_code, without_comment.status_code) == (403, 422)
    assert without_comment.get_json()["error"]["fields"] == {"comment": "is required for this alert"}
    assert counts(db_path) == before
    done = api.post(f"/api/alerts/{alert['id']}/acknowledge", {"comment": "Assessed: low risk, safety plan"},
                    role="clinician")
    assert done.status_code == 200
    assert open_alerts(api, session) == []
    [kept] = api.get(f"/api/alerts?session_id={session}&state=all").get_json()["items"]
    assert (kept["state"], kept["acknowledged_by"], kept["comment"]) == ("cleared", "clinician",
                                                                          "Assessed: low risk, safety plan")


def test_discharge_waits_for_the_assessment_and_abort_keeps_the_alert(api, db_path):
    session = api.session()["id"]
    for state in ("baseline", "infusing", "recovery", "ready"):
        api.transition(session, state)
    phq9(api, session, item_9=1)
    before = counts(db_path)
    refused = api.transition(session, "discharged")
    assert refused.status_code == 409
    assert "suicide risk" in refused.get_json()["error"]["message"]
    assert counts(db_path) == before
    other = api.session()["id"]
    api.transition(other, "baseline")
    phq9(api, other, item_9=1)
    assert api.transition(other, "aborted", reason="patient left").status_code == 200
    assert [a["key"] for a in open_alerts(api, other)] == ["suicidality"]


def test_the_bedside_page_asks_the_nurse_to_call_the_clinician_and_shows_who_assessed(api, client):
    session = api.session()["id"]
    api.transition(session, "baseline")
    phq9(api, session, item_9=1)
    sign_in(client, "nurse")
    page = client.get(f"/sessions/{session}").get_data(as_text=True)
    assert "Call the supervising clinician now" in page
    alert = open_alerts(api, session)[0]
    api.post(f"/api/alerts/{alert['id']}/acknowledge", {"comment": "Assessed, safe to continue"}, role="clinician")
    page = client.get(f"/sessions/{session}").get_data(as_text=True)
    assert "Call the supervising clinician now" not in page
    assert "assessed by <strong>clinician</strong>" in page and "Assessed, safe to continue" in page
