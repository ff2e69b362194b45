"""Every vital-sign file of tests/samples (../shared/data, copied) imported through the API, and what is
stored, literally as SOURCES.md describes each file (the clinic zone of these tests is Europe/London).

The parsers' own tests (test_import_csv, _hl7, _fhir) check what is read; these check what is kept:
the record as GET /api/sessions/{id} shows it, with its source.
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.helpers import SAMPLES as DATA
from tests.helpers import counts

SPEC = "fhir-ru__fhir-ru.github.io"
IHE = "IHEPCD__ihe-pcd-tf-2020"
INFERNO = "inferno-framework__inferno-reference-server-data"
MIMIC = "MIT-LCP__wfdb-python"
MEASURES = ("hr", "sbp", "dbp", "spo2", "rr", "temp_c", "etco2", "o2_lpm", "consciousness", "pain", "moaas")
JULY_2_1999 = "1999-07-01T23:00:00.000Z"  # a date only: 00:00 in London (BST)


def upload(api, session_id: int, data: bytes, name: str = "upload", role: str = "nurse", **fields):
    """POST the file as a browser's form would, with the options as text fields."""
    form = {"file": (io.BytesIO(data), name)} | {k: v for k, v in fields.items() if v is not None}
    return api.client.post(f"/api/sessions/{session_id}/imports", data=form, content_type="multipart/form-data",
                           headers={"Authorization": f"Bearer {api.tokens[role]}"})


def import_sample(api, name: str, **fields):
    """Import a sample into a new session of a patient born before any of the samples' readings (the oldest
    is from 1976: Synthea's patients were born in 1940)."""
    patient = api.patient(mrn=f"MRN-{next(api.numbers)}", birth_date="1940-01-01")
    session = api.session(patient["id"])
    response = upload(api, session["id"], (DATA / name).read_bytes(), Path(name).name, **fields)
    return session["id"], response


def stored(api, session_id: int) -> list[tuple]:
    """(taken_at, measures, map, source) of every vitals record of the session, oldest first."""
    whole = api.get(f"/api/sessions/{session_id}").get_json()
    return [(v["taken_at"], {k: v[k] for k in MEASURES if v[k] is not None}, v["map"], v["source"])
            for v in whole["vitals"]]


# name -> the records stored, as SOURCES.md describes the file
STORED = {
    # Philips: NIBP 117/82 at OBX-14's time (no zone: MSH-7's +0000, 7 h before the header), HR 80 (ECG),
    # RR 30, SpO2 99 at OBR-7's; OBX-7 alarm limits and the mean are not values.
    f"{IHE}/PCD01_E.1.1_philips_physio_monitor.hl7": [
        ("2015-01-22T11:50:00.000Z", {"sbp": 117, "dbp": 82}, 94, "import:hl7"),
        ("2015-01-22T18:26:56.000Z", {"hr": 80, "spo2": 99, "rr": 30}, None, "import:hl7")],
    # Gateway with UCUM units: NIBP 111/60 (80) and pulse 63, one moment.
    f"{IHE}/PCD01_E.1.2_acme_gateway_episodic_nibp.hl7": [
        ("2011-06-02T04:58:42.000Z", {"hr": 63, "sbp": 111, "dbp": 60}, 77, "import:hl7")],
    # SOAP-wrapped, status field shifted: BP 120/80 (mean 100 not imported).
    f"{IHE}/PCD01_CommunicatePCDData_soap.xml": [
        ("2009-08-13T04:57:15.000Z", {"sbp": 120, "dbp": 80}, 93, "import:hl7")],
    # FHIR XML from the Point-of-Care Device IG.
    "HL7__uv-pocd/Observation-HeartRateNumericObservation.xml": [
        ("2021-07-09T09:33:24.000Z", {"hr": 60}, None, "import:fhir")],
    "HL7__uv-pocd/Observation-NBPCompoundNumericObservation.xml": [
        ("2021-07-09T09:30:12.000Z", {"sbp": 120, "dbp": 80}, 93, "import:fhir")],
    # The specification's single Observations; date-only times land at 00:00 clinic time.
    f"{SPEC}/observation-example-heart-rate.json": [(JULY_2_1999, {"hr": 44}, None, "import:fhir")],
    f"{SPEC}/observation-example-bloodpressure.json": [
        ("2012-09-16T23:00:00.000Z", {"sbp": 107, "dbp": 60}, 76, "import:fhir")],
    f"{SPEC}/observation-example-bloodpressure-dar.json": [
        ("2012-09-16T23:00:00.000Z", {"sbp": 107}, None, "import:fhir")],
    f"{SPEC}/observation-example-satO2.json": [("2014-12-05T08:30:10.000Z", {"spo2": 95}, None, "import:fhir")],
    f"{SPEC}/observation-example-respiratory-rate.json": [(JULY_2_1999, {"rr": 26}, None, "import:fhir")],
    f"{SPEC}/observation-example-body-temperature.json": [(JULY_2_1999, {"temp_c": 36.5}, None, "import:fhir")],
    # US Core: every vital of the day in one record; 36.55556 Cel stored to 0.1 as manual entry is.
    f"{INFERNO}/uscore_bundle_patient_client_test.json": [
        (JULY_2_1999, {"hr": 44, "sbp": 109, "dbp": 44, "spo2": 99, "rr": 26, "temp_c": 36.6}, 66, "import:fhir")],
    f"{INFERNO}/us_quality_core_bundle_patient.json": [
        (JULY_2_1999, {"hr": 44, "sbp": 109, "dbp": 44, "spo2": 99, "rr": 26, "temp_c": 36.6, "o2_lpm": 2}, 66,
         "import:fhir")],
    # Synthea, edited: values without a value or a time, and an invalid effectivePeriod, left out.
    f"{INFERNO}/uscore_bundle_patient_355.json": [
        ("1976-02-05T23:33:18.000Z", {"rr": 14}, None, "import:fhir"),
        ("1994-05-19T23:33:18.000Z", {"sbp": 129, "dbp": 85}, 100, "import:fhir"),
        ("2003-07-10T23:33:18.000Z", {"hr": 65}, None, "import:fhir"),
        ("2009-08-19T23:33:18.000Z", {"temp_c": 37.8}, None, "import:fhir")],
    # Legacy BP panel 55284-4, diastolic first, unrounded floats; oral temperature 8331-1.
    "smart-on-fhir__generated-sample-data/Antonio_Castellanos_6d2eba67-5b4a-403f-a29f-e6da3f1ea963.json": [
        ("2013-08-10T04:44:29.000Z", {"sbp": 162.1, "dbp": 93}, 116, "import:fhir"),
        ("2016-08-13T04:44:29.000Z", {"sbp": 185.1, "dbp": 99.9}, 128, "import:fhir"),
        ("2017-06-05T04:44:29.000Z", {"temp_c": 37.7}, None, "import:fhir"),
        ("2019-08-17T04:44:29.000Z", {"sbp": 157.2, "dbp": 104.7}, 122, "import:fhir")],
}

NOTHING = {
    f"{SPEC}/observation-example-sample-data.json": "a waveform (valueSampledData), not a vital sign",
    f"{SPEC}/observation-example-vitals-panel.json":
        "a panel that only refers to other observations (hasMember), with no values of its own",
    f"{SPEC}/observation-example-f202-temperature.json": "status entered-in-error: not a measurement to import",
    f"{SPEC}/observation-example-mbp.json": "mean BP is computed by the server from sbp and dbp, not imported",
}


@pytest.mark.parametrize("name", STORED, ids=lambda name: name.split("/")[-1])
def test_each_sample_file_stores_what_its_sources_row_describes(api, name):
    session_id, response = import_sample(api, name)
    assert response.status_code == 201, response.get_json()
    report = response.get_json()
    assert (report["imported"], report["duplicates"], report["rejected"]) == (len(STORED[name]), 0, [])
    assert stored(api, session_id) == STORED[name]


@pytest.mark.parametrize("name", NOTHING, ids=lambda name: name.split("/")[-1])
def test_waveform_panel_only_entered_in_error_and_mean_files_import_nothing_and_say_why(api, db_path, name):
    session = api.session()
    before = counts(db_path)
    response = upload(api, session["id"], (DATA / name).read_bytes())
    assert response.status_code == 201
    report = response.get_json()
    assert (report["imported"], report["skipped"], report["rejected"]) == (
        0, [{"where": "resource", "reason": NOTHING[name]}], [])
    assert counts(db_path) == before


def test_a_wfdb_header_alone_cannot_be_imported(api, db_path):
    """A WFDB record is a header and a binary signal file: an upload carries one file, so its derived CSV is
    imported instead (test_import_csv checks the two agree sample by sample)."""
    session = api.session()
    before = counts(db_path)
    response = upload(api, session["id"], (DATA / MIMIC / "raw" / "s25047-2704-05-04-10-44n.hea").read_bytes())
    assert (response.status_code, response.get_json()["error"]["fields"]) == (
        422, {"file": "line 1: no time column (expected taken_at, timestamp, time, date or elapsed_s)"})
    assert counts(db_path) == before


def test_date_only_times_are_flagged_in_the_report(api):
    _, response = import_sample(api, f"{INFERNO}/uscore_bundle_patient_client_test.json")
    assert response.get_json()["date_only"] == {
        "count": 1, "where": ["entry 21"], "message": "the file gives only a date: taken as 00:00 clinic time"}


def test_the_dräger_ventilator_export_stores_one_record_a_second(api):
    session_id, response = import_sample(api, "JohannesNE__waveformtools/DrgVentMedibusXMeasuredCP1DataExport.csv")
    assert response.status_code == 201
    records = stored(api, session_id)
    assert len(records) == 26  # 08:30:35 to 08:31:00 BST, DD-MM-YYYY without a zone
    assert records[0] == ("2017-08-22T07:30:35.000Z", {"rr": 6, "etco2": 29}, None, "import:csv")
    assert records[-1] == ("2017-08-22T07:31:00.000Z", {"rr": 17, "etco2": 29}, None, "import:csv")


def test_the_short_mimic_record_is_in_the_future_until_aligned(api, db_path):
    session = api.session()
    data = (DATA / MIMIC / "derived_s25047-2704-05-04-10-44n.csv").read_bytes()
    before = counts(db_path)
    refused = upload(api, session["id"], data)
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert error["message"] == (
        "Nothing was imported: line 2: 69 readings from 2704-05-04T09:44:18.529Z on are in the future: a "
        "de-identified file (dates shifted, as MIMIC's) must be imported with align_start, the time its first "
        "reading was taken")
    assert counts(db_path) == before


def test_the_short_mimic_record_aligned_and_confirmed(api):
    session = api.session()
    data = (DATA / MIMIC / "derived_s25047-2704-05-04-10-44n.csv").read_bytes()
    unconfirmed = upload(api, session["id"], data, align_start="2024-05-01T10:00:00+01:00")
    assert unconfirmed.status_code == 422
    assert unconfirmed.get_json()["error"]["code"] == "needs_confirmation"
    assert unconfirmed.get_json()["error"]["fields"]["line 8.dbp"] == "DBP 22 is unusual (usual 30–150 mmHg); " \
                                                                        "confirm to save"
    response = upload(api, session["id"], data, align_start="2024-05-01T10:00:00+01:00", confirm="true")
    assert response.status_code == 201
    report = response.get_json()
    assert (report["imported"], report["first_taken_at"], report["last_taken_at"]) == (
        69, "2024-05-01T09:00:00.000Z", "2024-05-01T10:11:00.000Z")
    records = stored(api, session["id"])
    assert len(records) == 69  # 72 minutes, 3 without any signal
    assert records[:7] == [  # one a minute from align_start; the monitor's 0.0 "no signal" is not a value
        ("2024-05-01T09:00:00.000Z", {"hr": 101.3, "rr": 16.5}, None, "import:csv"),
        ("2024-05-01T09:01:00.000Z", {"hr": 103, "rr": 20.5}, None, "import:csv"),
        ("2024-05-01T09:02:00.000Z", {"hr": 89.5, "sbp": 87, "dbp": 46, "spo2": 95.7, "rr": 21.2}, 60, "import:csv"),
        ("2024-05-01T09:03:00.000Z", {"hr": 79.9, "sbp": 92, "dbp": 49, "spo2": 97.8, "rr": 20.9}, 63, "import:csv"),
        ("2024-05-01T09:04:00.000Z", {"hr": 81.8, "spo2": 99.6, "rr": 20.7}, None, "import:csv"),
        ("2024-05-01T09:05:00.000Z", {"hr": 76.8, "spo2": 99.4, "rr": 19.4}, None, "import:csv"),
        # ECG HR and RESP show 0.0: the pulse oximeter's 39.9 is the heart rate
        ("2024-05-01T09:06:00.000Z", {"hr": 39.9, "sbp": 86, "dbp": 22, "spo2": 99.9}, 43, "import:csv"),
    ]


def test_the_long_mimic_record_with_arterial_pressure(api):
    session = api.session()
    data = (DATA / MIMIC / "derived_s00001-2896-10-10-00-31n.csv").read_bytes()
    response = upload(api, session["id"], data, align_start="2024-05-01T08:00:00Z", confirm="true")
    assert response.status_code == 201
    report = response.get_json()
    assert (report["imported"], report["unusual_count"]) == (1896, 2)  # 1,936 minutes, 40 without any signal
    assert report["skipped"][:3] == [
        {"where": "line 1", "reason": f"column '{name} [mmHg]': arterial (invasive) BP is not imported: "
                                      "the record keeps cuff BP"} for name in ("ABPSys", "ABPDias", "ABPMean")]
    records = stored(api, session["id"])
    assert len(records) == 1896
    assert records[0] == ("2024-05-01T08:00:00.000Z", {"rr": 23}, None, "import:csv")
    # line 16 of the file, 14 minutes in: cuff BP 120/72 with HR, RR and SpO2
    assert ("2024-05-01T08:14:00.000Z", {"hr": 55.6, "sbp": 120, "dbp": 72, "spo2": 96, "rr": 12.4}, 88,
            "import:csv") in records


def test_the_hl7_and_fhir_samples_also_import_through_the_command(live_server):
    """The same files through `monitor import` (the CLI) into a live server's database."""
    import json
    import subprocess

    from tests.helpers import BIN, ROOT

    session = live_server_session(live_server)
    result = subprocess.run([str(BIN / "monitor"), "import", str(DATA / IHE / "PCD01_E.1.1_philips_physio_monitor.hl7"),
                             "--session", str(session)], env=live_server.env, capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["imported"] == 2
    vitals = live_server_vitals(live_server, session)
    assert [(v["taken_at"], v["sbp"], v["dbp"], v["hr"], v["rr"], v["spo2"]) for v in vitals] == [
        ("2015-01-22T11:50:00.000Z", 117, 82, None, None, None),
        ("2015-01-22T18:26:56.000Z", None, None, 80, 30, 99)]


def live_server_session(server) -> int:
    import requests

    headers = {"Authorization": f"Bearer {server.tokens['nurse']}"}
    patient = requests.post(f"{server.url}/api/patients", headers=headers, timeout=10, json={
        "mrn": "CLI-1", "family_name": "Adeyemi", "given_name": "Tolu", "birth_date": "1985-04-02"}).json()
    return requests.post(f"{server.url}/api/sessions", headers=headers, timeout=10, json={
        "patient_id": patient["id"], "chair": "2", "drug": "ketamine", "route": "iv"}).json()["id"]


def live_server_vitals(server, session_id: int) -> list[dict]:
    import requests

    headers = {"Authorization": f"Bearer {server.tokens['nurse']}"}
    return requests.get(f"{server.url}/api/sessions/{session_id}", headers=headers, timeout=10).json()["vitals"]
