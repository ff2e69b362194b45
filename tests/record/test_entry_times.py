"""Every time an entry carries is checked where it enters (issue 10 points 2, 7, 15 and 17): ISO with an
offset that fits, on the clinic's clock without a gap or a repeat, not before the patient's birth (or
1900), stored as ISO with a four-digit year; a refused time writes nothing."""
import io
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from monitor.config import Config
from monitor.errors import BadRequest, ValidationFailed
from monitor.timeutil import EARLIEST, clinical_time, iso
from tests.helpers import ZONE, counts, refused


def ago(minutes: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(minutes=minutes)).isoformat()


# Where a time enters: (name, a function of the time giving (path under /api, body)). `sid` is a
# session and `effect` one of its side effects, made per test.
def time_fields(sid: int, effect: int):
    return {
        "vitals taken_at": (f"/sessions/{sid}/vitals", lambda t: {"hr": 80, "taken_at": t}),
        "side effect observed_at": (f"/sessions/{sid}/side-effects",
                                    lambda t: {"kind": "nausea", "severity": "mild", "observed_at": t}),
        "intervention.at": (f"/sessions/{sid}/side-effects",
                            lambda t: {"kind": "nausea", "severity": "mild", "intervention": {"drug": "x", "at": t}}),
        "resolved_at": (f"/side-effects/{effect}/resolve", lambda t: {"resolved_at": t}),
        "assessment at": (f"/sessions/{sid}/assessments", lambda t: {"instrument": "moaas", "items": {"score": 4},
                                                                     "at": t}),
        "note at": (f"/sessions/{sid}/notes", lambda t: {"kind": "note", "text": "calm", "at": t}),
        "transition at": (f"/sessions/{sid}/transitions", lambda t: {"to": "baseline", "at": t}),
    }


FIELDS = list(time_fields(0, 0))


@pytest.fixture
def scene(api):
    sid = api.session()["id"]
    effect = api.post(f"/api/sessions/{sid}/side-effects", {"kind": "nausea", "severity": "mild",
                                                             "observed_at": ago(30)}).get_json()["id"]
    return time_fields(sid, effect)


def send(api, scene, field, moment):
    path, body = scene[field]
    return api.post("/api" + path, body(moment))


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("moment", ["10:30", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                    "2026-13-01T00:00:00", "yesterday"])
def test_a_time_that_is_not_iso_or_overflows_with_its_offset_is_a_bad_request(api, db_path, scene, field, moment):
    """Issue 10 point 2 (intervention.at "10:30" was stored and then broke the pages) and point 7 (times that
    overflow with their offset answered 500)."""
    before = counts(db_path)
    error = refused(send(api, scene, field, moment), 400, db_path, before, "bad_request")
    assert error["fields"]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("moment", ["0999-01-01T10:00:00Z", "1899-12-31T23:59:00Z", "1979-03-13T12:00:00Z"])
def test_a_time_before_the_patients_birth_is_refused(api, db_path, scene, field, moment):
    """Issue 10 point 2: a time in year 999 was stored as `999-01-01T…` (not ISO). The patient was born on
    1979-03-14 (the test patient)."""
    before = counts(db_path)
    error = refused(send(api, scene, field, moment), 422, db_path, before, "validation_failed")
    assert any("before" in message for message in error["fields"].values())


def test_a_time_on_the_day_of_birth_is_taken(api, scene):
    assert send(api, scene, "note at", "1979-03-14T08:00:00").status_code == 201


def test_without_a_birth_date_no_clinical_time_is_before_1900():
    now = datetime.now(timezone.utc)
    assert clinical_time("1900-01-01T00:00:00Z", "at", ZONE, now) == EARLIEST
    with pytest.raises(ValidationFailed, match="before 1900"):
        clinical_time("1899-12-31T23:59:59Z", "at", ZONE, now)


def test_stored_times_always_have_four_digit_years():
    assert iso(datetime(999, 1, 1, tzinfo=timezone.utc)) == "0999-01-01T00:00:00.000Z"
    assert iso(datetime(2026, 3, 8, 7, 5, 9, 123456, tzinfo=timezone.utc)) == "2026-03-08T07:05:09.123Z"


def test_an_intervention_time_is_stored_as_iso_utc(api, scene):
    response = send(api, scene, "intervention.at", "2026-01-15T09:30:00")  # New York is UTC-5 in January
    assert response.status_code == 201
    assert response.get_json()["intervention"]["at"] == "2026-01-15T14:30:00.000Z"


def test_align_start_overflowing_with_its_offset_is_a_bad_request(api, db_path):
    sid = api.session()["id"]
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        before = counts(db_path)
        data = {"file": (io.BytesIO(b"time,hr\n2026-01-15T09:30:00Z,80\n"), "m.csv"), "align_start": moment}
        response = api.post(f"/api/sessions/{sid}/imports", data=data, content_type="multipart/form-data")
        refused(response, 400, db_path, before, "bad_request")


def test_an_id_of_2_to_the_63_in_a_body_is_a_bad_request(api, db_path):
    """Issue 10 point 7: a patient_id of 2^63 answered 500 (SQLite cannot hold it)."""
    before = counts(db_path)
    response = api.post("/api/sessions", {"patient_id": 2**63, "chair": "1", "drug": "ketamine", "route": "iv"})
    assert "patient_id" in refused(response, 400, db_path, before, "bad_request")["fields"]


# Side effect interventions as plain text (issue 10 point 17).

def test_an_intervention_sent_as_text_is_taken_as_its_description(api, scene):
    path, _ = scene["side effect observed_at"]
    response = api.post("/api" + path, {"kind": "nausea", "severity": "moderate",
                                        "intervention": "ondansetron 4 mg IV"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["intervention"] == {"text": "ondansetron 4 mg IV"}


@pytest.mark.parametrize("intervention", [4, ["ondansetron"], True])
def test_an_intervention_of_another_shape_says_in_plain_words_what_is_expected(api, db_path, scene, intervention):
    path, _ = scene["side effect observed_at"]
    before = counts(db_path)
    response = api.post("/api" + path, {"kind": "nausea", "severity": "mild", "intervention": intervention})
    error = refused(response, 400, db_path, before, "bad_request")
    assert "not valid under any" not in error["message"]
    assert "a text" in error["fields"]["intervention"] and "drug, dose" in error["fields"]["intervention"]


# Daylight saving in the clinic's zone (issue 10 point 15): New York springs forward at 02:00 on
# 2026-03-08 and falls back at 02:00 on 2026-11-01.
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def config(db_path):
    """This module's app keeps the clinic's clock in New York, where the issue found the gaps."""
    return Config(db_path=db_path, secret_key="test-secret-" + "k3y" * 12, timezone=NEW_YORK)


@pytest.mark.parametrize("field", FIELDS)
def test_a_local_time_in_the_spring_forward_gap_is_refused(api, db_path, scene, field):
    before = counts(db_path)
    error = refused(send(api, scene, field, "2026-03-08T02:30:00"), 422, db_path, before, "validation_failed")
    assert "does not exist in America/New_York" in error["message"]


@pytest.mark.parametrize("field", FIELDS)
def test_a_local_time_in_the_repeated_hour_asks_which_naming_both_offsets(api, db_path, scene, field):
    before = counts(db_path)
    error = refused(send(api, scene, field, "2026-11-01T01:30:00"), 422, db_path, before, "validation_failed")
    assert "happens twice" in error["message"]
    assert "-04:00" in error["message"] and "-05:00" in error["message"]


@pytest.mark.parametrize("offset, utc", [("-04:00", "05:30"), ("-05:00", "06:30")])
def test_the_repeated_hour_with_its_offset_is_taken(api, scene, offset, utc):
    response = send(api, scene, "note at", f"2026-11-01T01:30:00{offset}")
    assert response.status_code == 201
    assert response.get_json()["at"] == f"2026-11-01T{utc}:00.000Z"


def test_times_either_side_of_the_changes_are_taken_on_the_clinic_clock(api, scene):
    for local, stored in [("2026-03-08T01:59:00", "2026-03-08T06:59:00.000Z"),
                          ("2026-03-08T03:00:00", "2026-03-08T07:00:00.000Z"),
                          ("2026-11-01T02:30:00", "2026-11-01T07:30:00.000Z")]:
        response = send(api, scene, "note at", local)
        assert response.status_code == 201 and response.get_json()["at"] == stored


@pytest.mark.parametrize("moment, says", [("2026-03-08T02:30:00", "does not exist"), ("2026-11-01T01:30:00", "-05:00")])
def test_align_start_on_the_clinic_clock_is_refused_in_a_gap_or_a_repeat(api, db_path, moment, says):
    sid = api.session()["id"]
    before = counts(db_path)
    data = {"file": (io.BytesIO(b"time,hr\n2026-01-15T09:30:00Z,80\n"), "m.csv"), "align_start": moment}
    response = api.post(f"/api/sessions/{sid}/imports", data=data, content_type="multipart/form-data")
    assert says in refused(response, 422, db_path, before, "validation_failed")["fields"]["align_start"]


def test_a_time_from_a_program_is_refused_the_same_way():
    """The record layer itself refuses a skipped time: not only the web door."""
    now = datetime.now(timezone.utc)
    with pytest.raises(ValidationFailed, match="does not exist"):
        clinical_time("2026-03-08T02:30", "at", NEW_YORK, now)
    with pytest.raises(BadRequest):
        clinical_time("2026-03-08T02:30+99:00", "at", NEW_YORK, now)
