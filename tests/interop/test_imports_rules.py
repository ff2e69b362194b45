"""The import's rules (CONTRACT.md §2, import report): the three tiers, all or nothing, duplicates,
align_start, dry runs, malformed files, limits, and what one import writes (records, events, audit)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from monitor.config import Config
from monitor.record import vitals
from monitor.web.app import create_app
from tests.helpers import ApiClient, counts, open_store

from .test_imports_samples import DATA, IHE, INFERNO, MIMIC, stored, upload

PHILIPS = (DATA / IHE / "PCD01_E.1.1_philips_physio_monitor.hl7").read_bytes()


def recent(minutes_ago: float) -> str:
    moment = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical(rows: list[str], header: str = "taken_at,hr,sbp,dbp,spo2,rr,temp_c") -> bytes:
    return (header + "\n" + "\n".join(rows) + "\n").encode()


def error_of(response) -> dict:
    return response.get_json()["error"]


# A malformed file writes nothing and names where it broke

MALFORMED = [
    (f"{MIMIC}/derived_s25047-2704-05-04-10-44n.csv", lambda data: data.replace(b"79.9", b'"79.9'),
     "Not a readable CSV file: line 73: unexpected end of data"),
    (f"{IHE}/PCD01_E.1.2_acme_gateway_episodic_nibp.hl7", lambda data: data.replace(b"OBR|", b"OB|"),
     "Not a readable HL7 v2 message: segment 4: 'OB|1|080019FFFE3ED02' is not an HL7 segment"),
    (f"{INFERNO}/uscore_bundle_patient_client_test.json", lambda data: data[: len(data) // 2],
     "Not a readable FHIR resource: line 1651 column 4: Expecting ',' delimiter"),
    ("HL7__uv-pocd/Observation-NBPCompoundNumericObservation.xml", lambda data: data.replace(b"</code>", b"</cod>", 1),
     "Not a readable FHIR resource: line 26: Opening and ending tag mismatch: code line 15 and cod, line 26, "
     "column 9"),
]


@pytest.mark.parametrize(("name", "corrupt", "message"), MALFORMED, ids=["csv", "hl7", "fhir-json", "fhir-xml"])
def test_a_malformed_file_of_each_format_is_refused_naming_where_and_writes_nothing(api, db_path, name, corrupt,
                                                                                    message):
    session = api.session()
    before = counts(db_path)
    response = upload(api, session["id"], corrupt((DATA / name).read_bytes()))
    assert response.status_code == 422
    assert error_of(response)["message"] == message
    assert error_of(response)["fields"] == {"file": message.split(": ", 1)[1]}
    assert counts(db_path) == before


# Duplicates

def test_importing_the_same_file_twice_adds_nothing(api, db_path):
    session = api.session()
    first = upload(api, session["id"], PHILIPS)
    assert (first.status_code, first.get_json()["imported"], first.get_json()["duplicates"]) == (201, 2, 0)
    before = counts(db_path)
    again = upload(api, session["id"], PHILIPS)
    assert (again.status_code, again.get_json()["imported"], again.get_json()["duplicates"]) == (201, 0, 2)
    assert counts(db_path) == before  # no record, no event, no audit entry


def test_a_de_identified_file_aligned_elsewhere_is_still_the_same_file(api, db_path):
    session = api.session()
    data = (DATA / MIMIC / "derived_s25047-2704-05-04-10-44n.csv").read_bytes()
    assert upload(api, session["id"], data, align_start="2024-05-01T09:00:00Z", confirm="true").status_code == 201
    before = counts(db_path)
    again = upload(api, session["id"], data, align_start="2024-05-02T09:00:00Z", confirm="true").get_json()
    assert (again["imported"], again["duplicates"]) == (0, 69)
    assert counts(db_path) == before


def test_the_same_file_into_another_session_is_imported_there(api):
    first, second = api.session(), api.session()
    assert upload(api, first["id"], PHILIPS).get_json()["imported"] == 2
    assert upload(api, second["id"], PHILIPS).get_json()["imported"] == 2


# The three tiers, all or nothing

def test_an_impossible_value_refuses_the_whole_file_naming_line_and_field(api, db_path):
    session = api.session()
    data = canonical([f"{recent(30)},72,128,84,97,14,36.8", f"{recent(20)},350,130,85,97,14,36.8",
                      f"{recent(10)},75,131,85,96,15,36.9"])
    before = counts(db_path)
    response = upload(api, session["id"], data)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == {"code": "validation_failed",
                             "message": "Nothing was imported: line 3: HR must be above 0 and at most 300 /min",
                             "fields": {"line 3.hr": "HR must be above 0 and at most 300 /min"}}
    assert (body["report"]["imported"], body["report"]["rejected"]) == (
        0, [{"where": "line 3", "field": "hr", "message": "HR must be above 0 and at most 300 /min"}])
    assert counts(db_path) == before


def test_skip_invalid_stores_the_rest_and_reports_what_was_left_out(api):
    session = api.session()
    data = canonical([f"{recent(30)},72,128,84,97,14,36.8", f"{recent(20)},80,120,125,97,14,36.8",
                      f"{recent(10)},eighty,131,85,96,15,36.9"])
    response = upload(api, session["id"], data, skip_invalid="true")
    assert response.status_code == 201
    report = response.get_json()
    assert report["imported"] == 2
    assert report["rejected"] == [
        {"where": "line 4", "field": "hr", "message": "'eighty' is not a number"},  # the parser's: the value only
        {"where": "line 3", "field": "dbp", "message": "DBP 125 must be lower than SBP 120"},  # the tiers': the reading
    ]
    assert [values for _, values, _, _ in stored(api, session["id"])] == [
        {"hr": 72, "sbp": 128, "dbp": 84, "spo2": 97, "rr": 14, "temp_c": 36.8},
        {"sbp": 131, "dbp": 85, "spo2": 96, "rr": 15, "temp_c": 36.9}]


def test_an_unusual_value_needs_confirm(api, db_path):
    session = api.session()
    data = canonical([f"{recent(20)},72,128,84,97,14,36.8", f"{recent(10)},225,140,85,97,14,36.8"])
    before = counts(db_path)
    refused = upload(api, session["id"], data)
    assert refused.status_code == 422
    assert error_of(refused) == {
        "code": "needs_confirmation",
        "message": "Nothing was imported yet: unusual values need confirm: line 3: HR 225 is unusual (usual 30–220 "
                   "/min); confirm to save",
        "fields": {"line 3.hr": "HR 225 is unusual (usual 30–220 /min); confirm to save"}}
    assert counts(db_path) == before
    confirmed = upload(api, session["id"], data, confirm="true")
    assert (confirmed.status_code, confirmed.get_json()["imported"]) == (201, 2)
    assert [values["hr"] for _, values, _, _ in stored(api, session["id"])] == [72, 225]


def test_fahrenheit_in_a_celsius_column_is_refused_as_manual_entry_is(api):
    session = api.session()
    response = upload(api, session["id"], canonical([f"{recent(10)},72,128,84,97,14,98.6"]))
    assert error_of(response)["fields"] == {
        "line 2.temp_c": "Temperature 98.6 looks like °F; send it as temp_f or in °C"}


def test_a_time_in_the_future_is_refused_and_align_start_is_named(api):
    session = api.session()
    soon = (datetime.now(timezone.utc) + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = upload(api, session["id"], canonical([f"{recent(5)},72,128,84,97,14,36.8", f"{soon},80,,,,,"]))
    assert response.status_code == 422
    assert "1 reading from" in error_of(response)["message"]
    assert "must be imported with align_start" in error_of(response)["message"]


def test_a_file_of_elapsed_seconds_needs_align_start(api):
    session = api.session()
    data = b"elapsed_s,HR,SpO2\n0,80,97\n60,82,96\n"
    refused = upload(api, session["id"], data)
    assert (refused.status_code, error_of(refused)["fields"]) == (
        422, {"align_start": "is required: the file gives only elapsed times"})
    response = upload(api, session["id"], data, align_start="2024-05-01 10:00")  # London clock: BST
    assert response.status_code == 201
    assert [(t, v) for t, v, _, _ in stored(api, session["id"])] == [
        ("2024-05-01T09:00:00.000Z", {"hr": 80, "spo2": 97}), ("2024-05-01T09:01:00.000Z", {"hr": 82, "spo2": 96})]


def test_align_start_in_the_future_is_refused(api):
    session = api.session()
    later = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()
    response = upload(api, session["id"], PHILIPS, align_start=later)
    assert (response.status_code, error_of(response)["fields"]) == (422, {"align_start": "is in the future"})


def test_observations_of_one_moment_become_one_record_and_keep_their_source(api):
    session = api.session()
    moment = recent(15)
    data = (f"timestamp,parameter,value,unit\n{moment},HR,80,bpm\n{moment},SpO2,97,%\n"
            f"{moment},NBPSys,121,mmHg\n{moment},NBPDias,79,mmHg\n").encode()
    assert upload(api, session["id"], data).status_code == 201
    [record] = api.get(f"/api/sessions/{session['id']}").get_json()["vitals"]
    assert {k: record[k] for k in ("hr", "spo2", "sbp", "dbp", "map", "source", "status", "late")} == {
        "hr": 80, "spo2": 97, "sbp": 121, "dbp": 79, "map": 93, "source": "import:csv", "status": "current",
        "late": True}


# A dry run

def test_a_dry_run_answers_the_report_and_a_preview_and_writes_nothing(api, db_path):
    session = api.session()
    before = counts(db_path)
    response = upload(api, session["id"], PHILIPS, dry_run="true")
    assert response.status_code == 200
    report = response.get_json()
    assert (report["imported"], report["dry_run"], report["refused"]) == (2, True, None)
    assert report["preview"] == [
        {"where": "OBX 4", "taken_at": "2015-01-22T11:50:00.000Z", "values": {"sbp": 117, "dbp": 82},
         "status": "new", "problem": None},
        {"where": "OBX 9", "taken_at": "2015-01-22T18:26:56.000Z", "values": {"hr": 80, "rr": 30, "spo2": 99},
         "status": "new", "problem": None}]
    assert counts(db_path) == before


def test_a_dry_run_says_what_a_real_import_would_answer(api):
    session = api.session()
    upload(api, session["id"], PHILIPS)
    data = canonical([f"{recent(20)},72,128,84,97,14,36.8", f"{recent(10)},350,130,85,97,14,36.8"])
    report = upload(api, session["id"], data, dry_run="true").get_json()
    assert report["refused"] == {"code": "validation_failed",
                                 "message": "Nothing was imported: line 3: HR must be above 0 and at most 300 /min",
                                 "fields": {"line 3.hr": "HR must be above 0 and at most 300 /min"}}
    assert [row["status"] for row in report["preview"]] == ["new", "refused"]
    again = upload(api, session["id"], PHILIPS, dry_run="true").get_json()
    assert (again["imported"], again["duplicates"], [r["status"] for r in again["preview"]]) == (
        0, 2, ["duplicate", "duplicate"])


# What one import writes

def test_one_import_is_one_audit_entry_and_batches_of_500_records(api, store, db_path):
    session = api.session()
    rows = [f"{recent(1300 - i)},{60 + i % 30},{110 + i % 40},{70 + i % 15},{95 + i % 5},{12 + i % 6},36.{i % 9}"
            for i in range(1200)]
    before_seq = counts(db_path)["last_seq"]
    response = upload(api, session["id"], canonical(rows))
    assert (response.status_code, response.get_json()["imported"]) == (201, 1200)
    found = api.get(f"/api/events?since={before_seq}&session_id={session['id']}").get_json()["events"]
    batches = [e for e in found if e["type"] == "vitals.batch"]
    assert [len(e["data"]["records"]) for e in batches] == [500, 500, 200]
    assert [e["type"] for e in found if e["type"] != "vitals.batch" and not e["type"].startswith("alert.")] == []
    for event in batches:
        assert {r["seq"] for r in event["data"]["records"]} == {event["seq"]}
    first = batches[0]["data"]["records"][0]
    # each record as GET /api/vitals/{id} shows it, without its empty fields
    shown = api.get(f"/api/vitals/{first['id']}").get_json()
    assert first == {k: v for k, v in shown.items() if v is not None and k != "history"}
    entries = [e for e in api.get(f"/api/audit?session_id={session['id']}", role="clinician").get_json()["items"]
               if e["action"] == "vitals.import"]
    assert len(entries) == 1
    summary = entries[0]["after"]
    assert {k: summary[k] for k in ("format", "source", "imported", "duplicates", "rejected")} == {
        "format": "csv", "source": "import:csv", "imported": 1200, "duplicates": 0, "rejected": 0}
    assert summary["last_id"] - summary["first_id"] == 1199
    assert len(json.dumps(summary)) < 1000  # a summary, not the rows


def test_the_log_keeps_a_batch_as_ids_and_gives_back_the_records_published(db_path):
    """An import's records are not stored twice: the event keeps their ids, and catch-up reads back
    exactly the records the live stream was given at the commit."""
    from zoneinfo import ZoneInfo

    from monitor.interop import imports
    from monitor.record import feed, patients, sessions
    from monitor.store.db import SYSTEM

    store = open_store(db_path)
    published = []
    store.on_commit(published.extend)
    with store.write(SYSTEM) as tx:
        patient = patients.create(tx, {"mrn": "LOG-1", "family_name": "Ito", "given_name": "Ren",
                                       "birth_date": "1990-03-03"})
        session = sessions.create(tx, {"patient_id": patient["id"], "chair": "2", "drug": "ketamine", "route": "iv"})
    rows = [f"{recent(1300 - i)},{60 + i % 30},{110 + i % 40},{70 + i % 15},{95 + i % 5},{12 + i % 6},36.{i % 9}"
            for i in range(1200)]
    imports.run(store, session["id"], canonical(rows), actor=SYSTEM, zone=ZoneInfo("UTC"))
    told = [e for e in published if e["type"] == "vitals.batch"]
    read_back = [e for e in feed.since(store.db, 0, session_id=session["id"]) if e["type"] == "vitals.batch"]
    assert [len(e["data"]["records"]) for e in told] == [500, 500, 200]
    assert [e["data"]["records"] for e in read_back] == [e["data"]["records"] for e in told]
    kept = [json.loads(data) for (data,) in store.db.execute(
        "SELECT data FROM events WHERE type = 'vitals.batch' ORDER BY seq")]
    first = told[0]["data"]["records"][0]["id"]
    assert kept == [{"source": "import:csv", "batch_start": start, "first_id": first + start,
                     "last_id": first + start + size - 1} for start, size in ((0, 500), (500, 500), (1000, 200))]


def test_stored_news2_is_what_one_by_one_entry_would_give(api, store):
    """NEWS2 looks back 30 minutes per parameter, over the session's records and the file's earlier rows."""
    session = api.session()
    manual = api.vitals(session["id"], {"taken_at": recent(50), "rr": 22, "spo2": 95, "temp_c": 38.5,
                                        "consciousness": "A"}).get_json()
    data = canonical([f"{recent(40)},95,105,", f"{recent(30)},92,,", f"{recent(5)},88,,"],
                     header="taken_at,hr,sbp,dbp")
    assert upload(api, session["id"], data).status_code == 201
    records = [v for v in api.get(f"/api/sessions/{session['id']}").get_json()["vitals"] if v["id"] != manual["id"]]
    # 40 min ago: HR 95 (1) + SBP 105 (1) + RR 22 (2), SpO2 95 (1), temp 38.5 (1) from the manual record
    # 30 min ago: the same, HR 92; 5 min ago: the manual record and the SBP are over 30 minutes old
    assert [v["news2"] for v in records] == [
        {"score": 6, "band": "medium", "single_3": False, "partial": False},
        {"score": 6, "band": "medium", "single_3": False, "partial": False},
        {"score": 0, "band": "none", "single_3": False, "partial": True}]
    for record in records:
        moment = datetime.fromisoformat(record["taken_at"])
        own = {k: record[k] for k in vitals.NEWS2_INPUTS if record[k] is not None}
        assert record["news2"] == vitals.news2_for(store.db, session["id"], moment, own)


def test_an_imported_record_is_the_record_entered_by_hand(api):
    """The import stores through the vitals writer and the tiers of manual entry: the same readings
    imported into one session and entered one by one into another give the same records (values,
    MAP, NEWS2 with its 30-minute look-back over gaps and missing values, late, what the API shows)."""
    header = "taken_at,hr,sbp,dbp,spo2,rr,temp_c,o2_lpm,consciousness,pain"
    minutes, rows, bodies = 500.0, [], []
    for i in range(45):
        # most readings minutes apart, some 29.5 and some 35 minutes after the one before
        minutes -= 35 if i % 11 == 0 else 29.5 if i % 7 == 0 else (3, 17, 41)[i % 3] / 10
        cells = {"hr": 58 + i * 3 % 80, "sbp": None if i % 4 == 1 else 96 + i * 7 % 60, "dbp": None if i % 4 == 1
                 else 60 + i % 20, "spo2": 90 + i % 10, "rr": None if i % 5 == 2 else 9 + i % 17,
                 "temp_c": [36.4, None, 38.15, 35.05][i % 4], "o2_lpm": [0, None, 2][i % 3],
                 "consciousness": "V" if i % 13 == 5 else None, "pain": i % 4 if i % 2 else None}
        rows.append(",".join([recent(minutes)] + ["" if v is None else str(v) for v in cells.values()]))
        bodies.append({"taken_at": recent(minutes), **{k: v for k, v in cells.items() if v is not None}})
    imported, entered = api.session(), api.session()
    assert upload(api, imported["id"], canonical(rows, header=header), confirm="true").status_code == 201
    for body in bodies:
        assert api.vitals(entered["id"], body | {"confirm": True}).status_code == 201

    def records(session_id):
        kept = ("taken_at", "map", "news2", "late", "note", "status") + vitals.MEASURES
        return [{k: v[k] for k in kept} for v in api.get(f"/api/sessions/{session_id}").get_json()["vitals"]]

    assert len(records(imported["id"])) == 45
    assert records(imported["id"]) == records(entered["id"])


def test_alerts_are_evaluated_once_on_the_newest_values(api):
    session = api.session()
    api.transition(session["id"], "baseline")
    data = canonical([f"{recent(20)},140,120,80,97,14,36.8", f"{recent(5)},80,120,80,89,14,36.8"])
    assert upload(api, session["id"], data).status_code == 201
    alerts = api.get(f"/api/alerts?session_id={session['id']}").get_json()["items"]
    # SpO2 89 now (and NEWS2 with a single 3 for it); HR 140 was 15 minutes before the newest HR
    assert sorted(a["key"] for a in alerts) == ["news2", "spo2"]


def test_a_signed_session_refuses_imports(api, db_path):
    session = api.session()
    api.transition(session["id"], "aborted", reason="patient declined")  # only a finished session is signed
    api.post(f"/api/sessions/{session['id']}/sign", {"password": "clinician-password-1", "meaning": "Reviewed"},
             role="clinician")
    before = counts(db_path)
    response = upload(api, session["id"], PHILIPS)
    assert (response.status_code, error_of(response)["code"]) == (409, "conflict")
    assert counts(db_path) == before


def test_an_unknown_session_is_404(api):
    assert upload(api, 999_999, PHILIPS).status_code == 404


def test_an_admin_may_not_import(api):
    session = api.session()
    assert upload(api, session["id"], PHILIPS, role="admin").status_code == 403


@pytest.mark.parametrize(("fields", "problem"), [
    ({"format": "xlsx"}, {"format": "must be csv, hl7 or fhir"}),
    ({"dry_run": "maybe"}, {"dry_run": "must be true or false"}),
    ({"colour": "blue"}, {"colour": "unknown field"}),
    ({"progress_id": "x"}, {"progress_id": "bad format"}),
    ({"align_start": "yesterday"}, {"align_start": "is not an ISO 8601 time"}),
])
def test_a_bad_form_field_is_a_bad_request(api, db_path, fields, problem):
    session = api.session()
    before = counts(db_path)
    response = upload(api, session["id"], PHILIPS, **fields)
    assert (response.status_code, error_of(response)["fields"]) == (400, problem)
    assert counts(db_path) == before


def test_no_file_is_a_bad_request(api):
    session = api.session()
    response = api.post(f"/api/sessions/{session['id']}/imports", {"file": "x"})
    assert (response.status_code, error_of(response)["fields"]) == (400, {"file": "is required"})


def test_an_upload_over_the_limit_is_413_and_writes_nothing(config, store, tokens, db_path):
    app = create_app(config.with_overrides(max_upload_bytes=64 * 1024), store=store)
    api = ApiClient(app.test_client(), tokens)
    session = api.session()
    before = counts(db_path)
    response = upload(api, session["id"], canonical([f"{recent(10)},72,128,84,97,14,36.8"] * 3000))
    assert response.status_code == 413
    assert response.get_json() == {"error": {"code": "too_large", "fields": {},
                                             "message": "the body is over the size limit of 65536 bytes"}}
    assert counts(db_path) == before
    assert isinstance(config, Config)


def test_the_caller_can_follow_its_import_by_progress_id(api):
    session = api.session()
    rows = [f"{recent(700 - i)},{60 + i % 30},120,80,97,14,36.8" for i in range(600)]
    assert upload(api, session["id"], canonical(rows), progress_id="pg-test-0001").status_code == 201
    assert api.get("/api/imports/progress?id=pg-test-0001").get_json() == {"stage": "done", "done": 600,
                                                                           "total": 600}
    assert api.get("/api/imports/progress?id=pg-test-0001", role="clinician").status_code == 404  # not theirs
    assert api.get("/api/imports/progress?id=pg-unknown-1").status_code == 404


def test_the_report_has_the_contract_keys(api):
    session = api.session()
    report = upload(api, session["id"], PHILIPS).get_json()
    assert set(report) >= {"format", "imported", "duplicates", "first_taken_at", "last_taken_at", "skipped",
                           "rejected"}
