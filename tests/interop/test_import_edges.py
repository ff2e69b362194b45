"""Files built to break the import (issue 10 point 7): times that overflow with their offset in CSV, HL7 and
FHIR, JSON nested past any resource, a lone surrogate in text. Each is a clear per-row or per-file report,
never a 500, and a refused file stores nothing (row counts and the last event seq unchanged). And the
times a session cannot hold, as for an entry by hand (issue 10 points 2 and 14): before the patient's
birth, after the discharge."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers import counts, refused

from .test_imports_samples import upload

OVERFLOWS = ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00")


def recent(minutes_ago: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def hl7(stamp: str) -> bytes:
    return (f"MSH|^~\\&|MONITOR|ICU|EMR|CLINIC|{stamp}||ORU^R01|42|P|2.6\rPID|1\rOBR|1|||VITALS|||{stamp}\r"
            f"OBX|1|NM|8867-4^Heart rate^LN||72|/min|||||R|||{stamp}\r").encode()


def observation(extra: str = "", when: str | None = None) -> bytes:
    return ('{"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org",'
            f' "code": "8867-4"}}]}}, "effectiveDateTime": "{when or recent(5)}", "valueQuantity": {{"value": 72,'
            f' "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}}{extra}}}').encode()


@pytest.mark.parametrize("stamp", OVERFLOWS)
def test_a_csv_time_that_overflows_with_its_offset_is_a_rejected_row(api, db_path, stamp):
    session = api.session()
    data = f"taken_at,hr\n{recent(20)},70\n{stamp},72\n{recent(10)},74\n".encode()
    before = counts(db_path)
    error = refused(upload(api, session["id"], data), 422, db_path, before, "validation_failed")
    message = f"'{stamp}' falls outside the years 1 to 9999 once its offset is applied"
    assert error["fields"] == {"line 3.taken_at": message}
    kept = upload(api, session["id"], data, skip_invalid="true")
    assert (kept.status_code, kept.get_json()["imported"]) == (201, 2)
    assert kept.get_json()["rejected"] == [{"where": "line 3", "field": "taken_at", "message": message}]


@pytest.mark.parametrize("stamp", ["00010101000000+1400", "99991231235959-1400"])
def test_an_hl7_time_that_overflows_with_its_offset_is_a_rejected_observation(api, db_path, stamp):
    session = api.session()
    before = counts(db_path)
    response = upload(api, session["id"], hl7(stamp))
    error = refused(response, 422, db_path, before, "validation_failed")
    assert error["fields"] == {"OBX 1.taken_at": f"'{stamp}' falls outside the years 1 to 9999 once its offset "
                                                 "is applied"}
    assert response.get_json()["report"]["imported"] == 0


def test_an_hl7_header_offset_no_zone_has_is_not_a_500(api):
    session = api.session()
    stamp = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%Y%m%d%H%M%S")
    data = hl7(stamp).replace(f"|{stamp}||ORU".encode(), f"|{stamp}+9999||ORU".encode())
    response = upload(api, session["id"], data)
    assert (response.status_code, response.get_json()["imported"]) == (201, 1)


@pytest.mark.parametrize("stamp", OVERFLOWS)
def test_a_fhir_time_that_overflows_with_its_offset_is_a_rejected_resource(api, db_path, stamp):
    session = api.session()
    before = counts(db_path)
    error = refused(upload(api, session["id"], observation(when=stamp)), 422, db_path, before, "validation_failed")
    assert error["fields"] == {"resource.taken_at": f"'{stamp}' falls outside the years 1 to 9999 once its offset "
                                                    "is applied"}


def test_aligning_past_year_9999_is_a_time_in_the_future_not_a_500(api, db_path):
    """align_start moves every reading by the same amount: a file spanning the calendar overflows."""
    session = api.session()
    data = b"taken_at,hr\n0001-06-01T00:00:00Z,70\n9999-06-01T00:00:00Z,72\n"
    before = counts(db_path)
    error = refused(upload(api, session["id"], data, align_start=recent(30)), 422, db_path, before,
                    "validation_failed")
    assert list(error["fields"]) == ["line 3.taken_at"]
    assert "would be in the future after aligning" in error["fields"]["line 3.taken_at"]


def test_elapsed_seconds_past_year_9999_are_a_rejected_row(api, db_path):
    session = api.session()
    before = counts(db_path)
    error = refused(upload(api, session["id"], b"elapsed_s,hr\n0,70\n1e12,72\n", align_start=recent(30)), 422,
                    db_path, before, "validation_failed")
    assert error["fields"] == {"line 3.taken_at": "'1e12' is not a number of seconds (up to year 9999)"}


@pytest.mark.parametrize(("data", "where_what"), [
    (b'{"resourceType": "Bundle", "type": "collection", "entry": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
     "nested more deeply than any FHIR resource is"),
    (observation(', "extension": ' + '[{"url": "http://example.org/x", "extension": ' * 400 + "[]" + "}]" * 400),
     "resource: nested more deeply than any FHIR resource is"),
    (b'<Observation xmlns="http://hl7.org/fhir">' + b'<extension url="x">' * 400 + b"</extension>" * 400
     + b"</Observation>", "line 1: Excessive depth in document: 256, use XML_PARSE_HUGE option, line 1, column 4905"),
], ids=["json-array", "json-extensions", "xml"])
def test_fhir_nested_deeper_than_any_resource_is_refused_as_a_file(api, db_path, data, where_what):
    session = api.session()
    before = counts(db_path)
    error = refused(upload(api, session["id"], data, format="fhir"), 422, db_path, before, "validation_failed")
    assert error["fields"] == {"file": where_what}


@pytest.mark.parametrize("extra", [', "id": "\\ud800"', ', "note": [{"text": "calm \\udfff"}]'])
def test_a_lone_surrogate_in_fhir_text_is_refused_naming_line_and_column(api, db_path, extra):
    session = api.session()
    before = counts(db_path)
    data = observation(extra)
    error = refused(upload(api, session["id"], data), 422, db_path, before, "validation_failed")
    column = data.index(b"\\ud800" if b"ud800" in data else b"\\udfff") + 1
    assert error["fields"]["file"].startswith(f"line 1 column {column}: a lone UTF-16 surrogate escape is not text")


def test_a_surrogate_pair_is_text(api):
    session = api.session()
    response = upload(api, session["id"], observation(', "note": [{"text": "calm \\ud83d\\ude0a"}]'))
    assert (response.status_code, response.get_json()["imported"]) == (201, 1)


def test_a_surrogate_as_an_xml_character_reference_is_refused(api, db_path):
    session = api.session()
    before = counts(db_path)
    data = (b'<Observation xmlns="http://hl7.org/fhir"><id value="a&#xD800;"/><status value="final"/>'
            b'</Observation>')
    error = refused(upload(api, session["id"], data), 422, db_path, before, "validation_failed")
    assert error["fields"]["file"].startswith("line 1: xmlParseCharRef: invalid xmlChar value 55296")


# Times the session cannot hold

def test_readings_before_the_patients_birth_are_refused_and_skipped_on_request(api, db_path):
    patient = api.patient(mrn="EDGE-1", birth_date="2000-02-01")
    session = api.session(patient["id"])
    data = f"taken_at,hr\n1999-12-31T10:00:00Z,70\n2000-01-31T23:00:00Z,71\n{recent(10)},72\n".encode()
    before = counts(db_path)
    error = refused(upload(api, session["id"], data), 422, db_path, before, "validation_failed")
    assert error["fields"] == {"line 2.taken_at": "2 readings from 1999-12-31T10:00:00.000Z on are before the "
                                                  "patient's birth (2000-02-01T00:00:00.000Z): check the file's dates"}
    kept = upload(api, session["id"], data, skip_invalid="true")
    assert (kept.status_code, kept.get_json()["imported"]) == (201, 1)


def test_a_reading_in_year_1_is_refused_as_before_the_patients_birth(api, db_path):
    session = api.session()
    before = counts(db_path)
    error = refused(upload(api, session["id"], b"taken_at,hr\n0001-01-01T12:00:00Z,70\n"), 422, db_path, before,
                    "validation_failed")
    assert error["fields"] == {"line 2.taken_at": "1 reading from 0001-01-01T12:00:00.000Z on are before the "
                                                  "patient's birth (1979-03-14T00:00:00.000Z): check the file's dates"}


def test_a_discharged_session_takes_only_readings_from_before_the_discharge_each_late(api, db_path):
    session = api.session()
    start = datetime.now(timezone.utc) - timedelta(minutes=65)
    for state, minute in [("baseline", 0), ("infusing", 5), ("recovery", 45), ("ready", 55), ("discharged", 60)]:
        response = api.transition(session["id"], state, at=(start + timedelta(minutes=minute)).isoformat())
        assert response.status_code == 200, response.get_json()
    data = f"taken_at,hr\n{recent(8)},72\n{recent(2)},74\n".encode()  # discharged 5 minutes ago
    before = counts(db_path)
    error = refused(upload(api, session["id"], data), 422, db_path, before, "validation_failed")
    assert list(error["fields"]) == ["line 3.taken_at"]
    assert "after the patient's discharge at" in error["fields"]["line 3.taken_at"]
    kept = upload(api, session["id"], data, skip_invalid="true")
    assert (kept.status_code, kept.get_json()["imported"]) == (201, 1)
    imported = api.get(f"/api/sessions/{session['id']}").get_json()["vitals"]
    assert [(v["hr"], v["late"]) for v in imported] == [(72, True)]  # 8 minutes ago: late only by the discharge


# Whatever the bytes, the parsers answer with readings or a clear refusal, never another exception

FUZZ_SEEDS = {
    "csv": b"Device: X\ntaken_at,hr,sbp,dbp,spo2,note\n2024-05-01T10:00:00+02:00,72,120,80,97,calm\n"
           b"15/05/2016 14:05,-,118/76,,96,\n",
    "hl7": hl7("20240501100000+0200"),
    "fhir": observation(when="2024-05-01T10:00:00+02:00"),
}


@pytest.mark.parametrize("format_", FUZZ_SEEDS)
def test_mangled_files_are_read_or_refused_cleanly(format_):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from monitor.errors import ApiError
    from monitor.interop.formats import parse
    from tests.helpers import ZONE

    seed = FUZZ_SEEDS[format_]
    splice = st.tuples(st.integers(0, len(seed)), st.integers(0, 12), st.binary(max_size=24))

    @settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(st.lists(splice, min_size=1, max_size=4))
    def read(edits):
        data = seed
        for at, cut, insert in edits:
            data = data[:at] + insert + data[at + cut:]
        try:
            parse(data, format=format_, tz=ZONE)
        except ApiError:
            pass

    read()
