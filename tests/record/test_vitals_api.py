"""Vitals over HTTP: the three tiers, nothing written on refusal, lists all or nothing, MAP, late."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers import counts


@pytest.fixture
def sid(api):
    return api.session()["id"]


def test_a_vitals_set_is_stored_with_map_news2_and_who_entered_it(api, sid):
    response = api.vitals(sid, {"hr": 80, "sbp": 120, "dbp": 81, "spo2": 97, "rr": 16, "temp_c": 36.8,
                                "consciousness": "A"})
    assert response.status_code == 201
    stored = response.get_json()
    assert stored["map"] == 94
    assert stored["news2"] == {"score": 0, "band": "none", "single_3": False, "partial": False}
    assert stored["entered_by"] == "nurse"
    assert stored["source"] == "manual"
    assert stored["status"] == "current"
    assert stored["late"] is False
    assert stored["seq"] == api.get("/api/events").get_json()["last_seq"]


def test_news2_is_partial_without_every_parameter(api, sid):
    stored = api.vitals(sid, {"hr": 80}).get_json()
    assert stored["news2"]["partial"] is True


def test_news2_uses_the_latest_values_of_the_last_30_minutes(api, sid):
    now = datetime.now(timezone.utc)
    api.vitals(sid, {"taken_at": (now - timedelta(minutes=40)).isoformat(), "rr": 26})
    api.vitals(sid, {"taken_at": (now - timedelta(minutes=20)).isoformat(), "temp_c": 39.5, "consciousness": "A",
                     "sbp": 120, "spo2": 98, "rr": 14})
    stored = api.vitals(sid, {"hr": 80}).get_json()
    # rr 26 is older than 30 minutes; rr 14 (0) and temp 39.5 (2) count.
    assert stored["news2"] == {"score": 2, "band": "low", "single_3": False, "partial": False}


def test_an_entry_more_than_10_minutes_after_its_time_is_late(api, sid):
    now = datetime.now(timezone.utc)
    on_time = api.vitals(sid, {"taken_at": (now - timedelta(minutes=9)).isoformat(), "hr": 70}).get_json()
    late = api.vitals(sid, {"taken_at": (now - timedelta(minutes=11)).isoformat(), "hr": 70}).get_json()
    assert (on_time["late"], late["late"]) == (False, True)


def test_a_time_without_offset_is_taken_in_the_clinic_zone(api, sid):
    stored = api.vitals(sid, {"taken_at": "2026-01-15T09:30:00", "hr": 70}).get_json()
    assert stored["taken_at"] == "2026-01-15T09:30:00.000Z"  # London is UTC in January
    stored = api.vitals(sid, {"taken_at": "2026-07-15T09:30:00", "hr": 70}).get_json()
    assert stored["taken_at"] == "2026-07-15T08:30:00.000Z"  # and UTC+1 in July


@pytest.mark.parametrize("body, status, code, field", [
    ({"hr": 301}, 422, "validation_failed", "hr"),
    ({"hr": 221}, 422, "needs_confirmation", "hr"),
    ({"hr": "80"}, 400, "bad_request", "hr"),
    ({"hr": True}, 400, "bad_request", "hr"),
    ({"pulse": 80}, 400, "bad_request", "pulse"),
    ({"temp_c": 98.6}, 422, "validation_failed", "temp_c"),
    ({"sbp": 120, "dbp": 120}, 422, "validation_failed", "dbp"),
    ({"taken_at": "2099-01-01T00:00:00Z", "hr": 80}, 422, "validation_failed", "taken_at"),
    ({"taken_at": "yesterday", "hr": 80}, 400, "bad_request", "taken_at"),
])
def test_refused_vitals_name_the_field_and_write_nothing(api, sid, db_path, body, status, code, field):
    before = counts(db_path)
    response = api.vitals(sid, body)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code
    assert field in error["fields"]
    assert counts(db_path) == before


@pytest.mark.parametrize("raw", ['{"hr": NaN}', '{"hr": Infinity}', '{"hr": -Infinity}', "not json"])
def test_nan_infinity_and_non_json_are_bad_requests(api, sid, db_path, raw):
    before = counts(db_path)
    response = api.client.post(f"/api/sessions/{sid}/vitals", data=raw, content_type="application/json",
                               headers={"Authorization": f"Bearer {api.tokens['nurse']}"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    assert counts(db_path) == before


def test_the_confirm_flow_stores_an_unusual_value_once_confirmed(api, sid):
    first = api.vitals(sid, {"hr": 230})
    assert first.status_code == 422
    assert first.get_json()["error"]["code"] == "needs_confirmation"
    second = api.vitals(sid, {"hr": 230, "confirm": True})
    assert second.status_code == 201
    assert second.get_json()["hr"] == 230


def test_fahrenheit_is_stored_as_celsius(api, sid):
    assert api.vitals(sid, {"temp_f": 98.6}).get_json()["temp_c"] == 37.0


def test_a_list_of_vitals_is_all_or_nothing(api, sid, db_path):
    before = counts(db_path)
    response = api.vitals(sid, [{"hr": 80}, {"hr": 0}, {"hr": 90}])
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"1.hr": response.get_json()["error"]["fields"]["1.hr"]}
    assert counts(db_path) == before
    stored = api.vitals(sid, [{"hr": 80}, {"hr": 90}])
    assert stored.status_code == 201
    assert [v["hr"] for v in stored.get_json()] == [80, 90]


def test_an_empty_measure_set_is_refused(api, sid):
    response = api.vitals(sid, {"note": "nothing measured"})
    assert response.status_code == 422


def test_vitals_for_a_missing_session_are_not_found(api):
    assert api.vitals(99999, {"hr": 80}).status_code == 404


def test_a_retried_save_with_the_same_idempotency_key_is_stored_once(api, sid):
    headers = {"Idempotency-Key": "entry-7f3a"}
    first = api.vitals(sid, {"hr": 81}, headers=headers).get_json()
    again = api.vitals(sid, {"hr": 81}, headers=headers).get_json()
    assert again["id"] == first["id"]
    whole = api.get(f"/api/sessions/{sid}").get_json()
    assert [v["hr"] for v in whole["vitals"]] == [81]


def test_the_event_of_a_save_carries_the_record(api, sid):
    stored = api.vitals(sid, {"hr": 77}).get_json()
    log = api.get(f"/api/events?since={stored['seq'] - 1}").get_json()
    assert log["events"][0]["type"] == "vitals.recorded"
    assert log["events"][0]["seq"] == stored["seq"]
    assert log["events"][0]["data"]["id"] == stored["id"]
    assert json.dumps(log["events"][0]["data"]["hr"]) == "77"


def edge_cases():
    """Each numeric bound of CLINICAL.md §2, just outside: refused or needing confirmation."""
    from monitor.rules.validation import BOUNDS

    for field, bound in BOUNDS.items():
        if bound.kind == "choice":
            yield field, "X", "validation_failed"
            continue
        step = 1 if bound.kind == "integer" else 0.1
        low = bound.low if bound.low_open else bound.low - step
        yield field, low, "validation_failed"
        yield field, bound.high + step, "validation_failed"
        if bound.usual_low is not None:
            yield field, bound.usual_low - step, "needs_confirmation"
        if bound.usual_high is not None:
            yield field, bound.usual_high + step, "needs_confirmation"


@pytest.mark.parametrize("field, value, code", list(edge_cases()))
def test_every_refused_bound_over_http_writes_nothing(api, sid, db_path, field, value, code):
    body = {field: value}
    if field == "dbp":
        body["sbp"] = 390  # keep dbp < sbp so only the bound under test speaks
    before = counts(db_path)
    response = api.vitals(sid, body)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == code
    assert field in response.get_json()["error"]["fields"]
    assert counts(db_path) == before


def test_the_answer_to_a_save_is_the_record_as_read_back(api, sid):
    saved = api.vitals(sid, {"hr": 80, "sbp": 120, "dbp": 80, "temp_f": 98.6, "note": "settled"}).get_json()
    read = api.get(f"/api/vitals/{saved['id']}").get_json()
    read.pop("history")
    assert saved == read
