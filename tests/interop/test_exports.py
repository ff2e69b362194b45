"""Exports (CONTRACT.md §2): the CSV of a session's vitals with status and amendment links, and the FHIR R4
Bundle of the whole session, checked with fhir.resources; both read back into a fresh session unchanged."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from fhir.resources.R4B.bundle import Bundle

from .test_imports_samples import MEASURES, upload

NOW = datetime(2026, 3, 18, 11, 0, tzinfo=timezone.utc)
HEADER = ("id,taken_at,hr,sbp,dbp,map,spo2,rr,temp_c,etco2,o2_lpm,consciousness,pain,moaas,news2_score,news2_band,"
          "news2_single_3,news2_partial,note,source,status,supersedes,amend_reason,void_reason,entered_at,entered_by,"
          "late")


@pytest.fixture
def treated(api, clock):
    """An esketamine session at 11:00 on 18 March 2026: vitals (one amended, one voided), a side effect,
    two instrument scores, dosed 09:30 to 09:40 and discharged at 10:45."""
    clock.set(NOW)
    patient = api.patient(mrn="EXP-1", family_name="Lindqvist", given_name="Maja", birth_date="1968-06-01",
                          sex="female")
    session = api.session(patient_id=patient["id"], drug="esketamine", route="intranasal", dose_mg=56,
                          lot_number="LOT-5521", dose_mg_per_kg=None, planned_minutes=None)
    sid = session["id"]
    post = api.post
    assert api.transition(sid, "baseline", at="2026-03-18T09:15:00Z").status_code == 200
    base = api.vitals(sid, {"taken_at": "2026-03-18T09:20:00Z", "hr": 72, "sbp": 128, "dbp": 82, "spo2": 98,
                            "rr": 14, "temp_c": 36.7, "consciousness": "A", "pain": 1, "moaas": 5,
                            "note": "calm, escort waiting"}).get_json()
    assert api.transition(sid, "infusing", at="2026-03-18T09:30:00Z").status_code == 200
    peak = api.vitals(sid, {"taken_at": "2026-03-18T10:10:00Z", "hr": 88, "sbp": 152, "dbp": 94, "spo2": 97,
                            "rr": 16, "etco2": 38, "o2_lpm": 2}).get_json()
    wrong = api.vitals(sid, {"taken_at": "2026-03-18T10:20:00Z", "hr": 150, "spo2": 96}).get_json()
    assert post(f"/api/vitals/{peak['id']}/amend", {"sbp": 150, "reason": "misread the cuff"}).status_code == 201
    assert post(f"/api/vitals/{wrong['id']}/void", {"reason": "wrong patient's monitor"}).status_code == 200
    assert post(f"/api/sessions/{sid}/side-effects", {"kind": "dissociation", "severity": "moderate",
                                                      "observed_at": "2026-03-18T09:50:00Z"}).status_code == 201
    assert post(f"/api/sessions/{sid}/assessments", {"instrument": "cadss", "items": {"total": 6},
                                                     "at": "2026-03-18T10:00:00Z"}).status_code == 201
    assert post(f"/api/sessions/{sid}/assessments", {"instrument": "aldrete", "at": "2026-03-18T10:40:00Z",
                                                     "items": {"activity": 2, "respiration": 2, "circulation": 2,
                                                               "consciousness": 2, "spo2": 2}}).status_code == 201
    assert api.transition(sid, "recovery", at="2026-03-18T09:40:00Z").status_code == 200
    assert api.transition(sid, "ready", at="2026-03-18T10:41:00Z").status_code == 200
    assert post(f"/api/sessions/{sid}/transitions", {"to": "discharged", "at": "2026-03-18T10:45:00Z",
                                                     "override": True, "reason": "clinician reviewed"},
                role="clinician").status_code == 200
    return {"session": session, "patient": patient, "base": base, "peak": peak, "wrong": wrong}


def export(api, session_id: int, format: str):
    return api.get(f"/api/sessions/{session_id}/export?format={format}")


def current_values(api, session_id: int, fields=MEASURES + ("note",)) -> list[tuple]:
    whole = api.get(f"/api/sessions/{session_id}").get_json()
    return [(v["taken_at"], {k: v[k] for k in fields if v.get(k) is not None})
            for v in whole["vitals"] if v["status"] == "current"]


def test_the_csv_has_one_row_per_record_with_status_and_amendment_links(api, treated):
    response = export(api, treated["session"]["id"], "csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="session-{treated["session"]["id"]}.csv"'
    lines = response.get_data(as_text=True).splitlines()
    base, peak, wrong = (treated[k]["id"] for k in ("base", "peak", "wrong"))
    assert lines == [
        HEADER,
        f"{base},2026-03-18T09:20:00.000Z,72,128,82,97,98,14,36.7,,,A,1,5,0,none,false,false,\"calm, escort waiting\","
        "manual,current,,,,2026-03-18T11:00:00.000Z,nurse,true",
        # 10:10: on O2 (2); the temperature and ACVPU of 09:20 are over 30 minutes old, so NEWS2 is partial
        f"{peak},2026-03-18T10:10:00.000Z,88,152,94,113,97,16,,38,2,,,,2,low,false,true,,manual,amended,,,,"
        "2026-03-18T11:00:00.000Z,nurse,true",
        f"{peak + 2},2026-03-18T10:10:00.000Z,88,150,94,113,97,16,,38,2,,,,2,low,false,true,,manual,current,{peak},"
        "misread the cuff,,2026-03-18T11:00:00.000Z,nurse,true",
        # 10:20: HR 150 (3) with the O2 of 10:10 (2)
        f"{wrong},2026-03-18T10:20:00.000Z,150,,,,96,,,,,,,,5,medium,true,true,,manual,void,,,wrong patient's monitor,"
        "2026-03-18T11:00:00.000Z,nurse,true",
    ]


def test_the_csv_reads_back_into_a_fresh_session_with_the_same_values(api, treated):
    text = export(api, treated["session"]["id"], "csv").get_data()
    fresh = api.session()
    response = upload(api, fresh["id"], text)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["skipped"][-2:] == [
        {"where": "line 3", "reason": "status amended: a later record (its amendment) replaces it"},
        {"where": "line 5", "reason": "status void: entered in error"}]
    assert current_values(api, fresh["id"]) == current_values(api, treated["session"]["id"]) == [
        ("2026-03-18T09:20:00.000Z", {"hr": 72, "sbp": 128, "dbp": 82, "spo2": 98, "rr": 14, "temp_c": 36.7,
                                      "consciousness": "A", "pain": 1, "moaas": 5, "note": "calm, escort waiting"}),
        ("2026-03-18T10:10:00.000Z", {"hr": 88, "sbp": 150, "dbp": 94, "spo2": 97, "rr": 16, "etco2": 38,
                                      "o2_lpm": 2})]
    assert upload(api, fresh["id"], text).get_json()["imported"] == 0  # and only once


def test_the_fhir_bundle_is_valid_r4_and_holds_the_whole_session(api, treated):
    response = export(api, treated["session"]["id"], "fhir")
    assert (response.status_code, response.mimetype) == (200, "application/fhir+json")
    bundle = response.get_json()
    Bundle.model_validate(bundle)
    resources = [entry["resource"] for entry in bundle["entry"]]
    kinds = [r["resourceType"] for r in resources]
    assert (kinds[:3], kinds[-1]) == (["Patient", "Encounter", "MedicationAdministration"], "CodeSystem")
    assert (bundle["type"], bundle["timestamp"]) == ("collection", "2026-03-18T11:00:00.000Z")
    assert all(entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}" for entry in bundle["entry"])

    patient, encounter, dose = resources[:3]
    assert (patient["name"], patient["birthDate"], patient["gender"], patient["identifier"][0]["value"]) == (
        [{"family": "Lindqvist", "given": ["Maja"]}], "1968-06-01", "female", "EXP-1")
    assert (encounter["status"], encounter["class"]["code"], encounter["period"]) == (
        "finished", "AMB", {"start": "2026-03-18T09:15:00.000Z", "end": "2026-03-18T10:45:00.000Z"})
    assert dose["effectivePeriod"] == {"start": "2026-03-18T09:30:00.000Z", "end": "2026-03-18T09:40:00.000Z"}
    assert (dose["status"], dose["dosage"]["dose"], dose["contained"][0]["batch"]) == (
        "completed", {"value": 56, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"},
        {"lotNumber": "LOT-5521"})
    assert dose["contained"][0]["code"]["coding"][0]["code"] == "2201623"  # RxNorm esketamine nasal spray

    observations = [r for r in resources if r["resourceType"] == "Observation"]
    vital = [o for o in observations if o["category"][0]["coding"][0]["code"] == "vital-signs"]
    codes = [(o["effectiveDateTime"][11:16], o["code"]["coding"][0]["code"], o["status"]) for o in vital]
    assert codes == [
        ("09:20", "8867-4", "final"), ("09:20", "59408-5", "final"), ("09:20", "9279-1", "final"),
        ("09:20", "8310-5", "final"), ("09:20", "72514-3", "final"), ("09:20", "85354-9", "final"),
        ("09:20", "67775-7", "final"), ("09:20", "moaas", "final"),
        ("10:10", "8867-4", "amended"), ("10:10", "59408-5", "amended"), ("10:10", "9279-1", "amended"),
        ("10:10", "19889-5", "amended"), ("10:10", "3151-8", "amended"), ("10:10", "85354-9", "amended"),
        ("10:20", "8867-4", "entered-in-error"), ("10:20", "59408-5", "entered-in-error")]
    panel = next(o for o in vital if o["code"]["coding"][0]["code"] == "85354-9" and o["status"] == "amended")
    assert "valueQuantity" not in panel
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"], c["valueQuantity"]["code"])
            for c in panel["component"]] == [("8480-6", 150, "mm[Hg]"), ("8462-4", 94, "mm[Hg]"),
                                             ("8478-0", 113, "mm[Hg]")]
    temperature = next(o for o in vital if o["code"]["coding"][0]["code"] == "8310-5")
    assert temperature["valueQuantity"] == {"value": 36.7, "unit": "Cel", "system": "http://unitsofmeasure.org",
                                            "code": "Cel"}

    scores = [o for o in observations if o["category"][0]["coding"][0]["code"] == "survey"]
    assert [(o["code"]["coding"][0]["system"], o["code"]["coding"][0]["code"], o["valueInteger"]) for o in scores] == [
        ("urn:infusion-monitor:codes", "cadss", 6), ("urn:infusion-monitor:codes", "aldrete", 10)]
    [event] = [r for r in resources if r["resourceType"] == "AdverseEvent"]
    assert (event["event"]["text"], event["date"], event["severity"]["coding"][0]["code"],
            event["seriousness"]["coding"][0]["code"], event["outcome"]["coding"][0]["code"]) == (
        "dissociation", "2026-03-18T09:50:00.000Z", "moderate", "non-serious", "ongoing")
    local = {c["code"] for c in resources[-1]["concept"]}
    assert {"cadss", "aldrete", "moaas", "acvpu-A", "side-effect-dissociation", "aldrete-spo2"} <= local


def test_the_fhir_bundle_reads_back_into_a_fresh_session_with_the_same_values(api, treated):
    bundle = export(api, treated["session"]["id"], "fhir").get_data()
    Bundle.model_validate_json(bundle)
    fresh = api.session()
    response = upload(api, fresh["id"], bundle)
    assert response.status_code == 201, response.get_json()
    # what FHIR carries back: the vital signs (pain, ACVPU and MOAA/S are assessed at the chair, not imported)
    fields = ("hr", "sbp", "dbp", "spo2", "rr", "temp_c", "etco2", "o2_lpm")
    assert current_values(api, fresh["id"], fields) == current_values(api, treated["session"]["id"], fields) == [
        ("2026-03-18T09:20:00.000Z", {"hr": 72, "sbp": 128, "dbp": 82, "spo2": 98, "rr": 14, "temp_c": 36.7}),
        ("2026-03-18T10:10:00.000Z", {"hr": 88, "sbp": 150, "dbp": 94, "spo2": 97, "rr": 16, "etco2": 38,
                                      "o2_lpm": 2})]
    assert {"where": "entry 18", "reason": "status entered-in-error: not a measurement to import (2 entries)"} in \
        response.get_json()["skipped"]
    again = export(api, fresh["id"], "fhir").get_json()
    Bundle.model_validate(again)


def test_a_ketamine_session_without_a_dose_exports_a_valid_bundle(api):
    session = api.session()
    bundle = export(api, session["id"], "fhir").get_json()
    Bundle.model_validate(bundle)
    assert [entry["resource"]["resourceType"] for entry in bundle["entry"]] == ["Patient", "Encounter", "CodeSystem"]
    assert bundle["entry"][1]["resource"]["status"] == "planned"


def test_an_imported_session_exports_its_sources(api):
    from .test_imports_samples import DATA, IHE

    session = api.session()
    upload(api, session["id"], (DATA / IHE / "PCD01_E.1.1_philips_physio_monitor.hl7").read_bytes())
    rows = export(api, session["id"], "csv").get_data(as_text=True).splitlines()[1:]
    assert [row.split(",")[19] for row in rows] == ["import:hl7", "import:hl7"]
    Bundle.model_validate(export(api, session["id"], "fhir").get_json())


def test_an_export_is_an_audited_read(api, treated):
    sid = treated["session"]["id"]
    export(api, sid, "fhir")
    entries = api.get(f"/api/audit?session_id={sid}", role="clinician").get_json()["items"]
    assert [(e["action"], e["actor"], e["after"]) for e in entries if e["action"] == "export"] == [
        ("export", "nurse", {"format": "fhir"})]


def test_an_unknown_format_or_session(api, treated):
    assert export(api, treated["session"]["id"], "xml").get_json()["error"]["fields"] == {
        "format": "must be csv or fhir"}
    assert export(api, 999_999, "csv").status_code == 404


def test_the_command_exports_what_the_api_exports(api, treated, db_path, monkeypatch):
    from click.testing import CliRunner

    from monitor.cli import main

    monkeypatch.setenv("MONITOR_DB", str(db_path))
    result = CliRunner().invoke(main, ["export", str(treated["session"]["id"]), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.decode() == export(api, treated["session"]["id"], "csv").get_data(as_text=True)
    assert io.StringIO(result.stdout).readline().strip() == HEADER


def test_a_note_a_spreadsheet_would_run_as_a_formula_is_quoted_and_read_back_as_written(api, clock):
    clock.set(NOW)
    session = api.session()
    note = '=HYPERLINK("http://attacker.example","click")'
    api.vitals(session["id"], {"taken_at": "2026-03-18T10:00:00Z", "hr": 70, "note": note})
    text = export(api, session["id"], "csv").get_data(as_text=True)
    assert '"\'=HYPERLINK(""http://attacker.example"",""click"")"' in text
    fresh = api.session()
    assert upload(api, fresh["id"], text.encode()).status_code == 201
    assert current_values(api, fresh["id"]) == [("2026-03-18T10:00:00.000Z", {"hr": 70, "note": note})]
