"""Importing FHIR R4: single Observations and Bundles, JSON and XML, from the spec, US Core and Synthea."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from monitor.errors import ValidationFailed
from monitor.interop.formats import Reading, parse
from tests.helpers import SAMPLES as DATA

SPEC = DATA / "fhir-ru__fhir-ru.github.io"
POCD = DATA / "HL7__uv-pocd"
INFERNO = DATA / "inferno-framework__inferno-reference-server-data"
SYNTHEA = DATA / "smart-on-fhir__generated-sample-data"
ANTONIO = SYNTHEA / "Antonio_Castellanos_6d2eba67-5b4a-403f-a29f-e6da3f1ea963.json"
ZONE = ZoneInfo("Europe/Berlin")
MIDNIGHT_1999_07_02 = datetime(1999, 7, 1, 22, 0, tzinfo=UTC)  # a date only: 00:00 CEST
MEAN_BP = "mean BP is computed by the server from sbp and dbp, not imported"


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def read_fhir(data: bytes | dict):
    return parse(json.dumps(data).encode() if isinstance(data, dict) else data, format="fhir", tz=ZONE)


def spec_example(name: str) -> dict:
    return json.loads((SPEC / f"observation-example-{name}.json").read_text())


@pytest.mark.parametrize(("name", "readings", "skipped"), [
    ("heart-rate", [Reading("resource", MIDNIGHT_1999_07_02, {"hr": 44.0}, date_only=True)], []),
    ("bloodpressure", [Reading("resource", utc(2012, 9, 16, 22, 0), {"sbp": 107.0, "dbp": 60.0}, True)], []),
    ("bloodpressure-dar", [Reading("resource", utc(2012, 9, 16, 22, 0), {"sbp": 107.0}, True)],
     [{"where": "resource", "reason": "diastolic BP: no value (dataAbsentReason 'not-performed')"}]),
    ("satO2", [Reading("resource", utc(2014, 12, 5, 8, 30, 10), {"spo2": 95.0})], []),
    ("respiratory-rate", [Reading("resource", MIDNIGHT_1999_07_02, {"rr": 26.0}, True)], []),
    ("body-temperature", [Reading("resource", MIDNIGHT_1999_07_02, {"temp_c": 36.5}, True)], []),
    ("f202-temperature", [], [{"where": "resource", "reason": "status entered-in-error: not a measurement to import"}]),
    ("mbp", [], [{"where": "resource", "reason": MEAN_BP}]),
    ("vitals-panel", [], [{"where": "resource", "reason": "a panel that only refers to other observations "
                                                          "(hasMember), with no values of its own"}]),
    ("sample-data", [], [{"where": "resource", "reason": "a waveform (valueSampledData), not a vital sign"}]),
])
def test_specification_examples(name, readings, skipped):
    parsed = parse((SPEC / f"observation-example-{name}.json").read_bytes(), tz=ZONE)
    assert (parsed.format, parsed.readings, parsed.skipped, parsed.rejected) == ("fhir", readings, skipped, [])


def test_point_of_care_device_xml_heart_rate():
    parsed = parse((POCD / "Observation-HeartRateNumericObservation.xml").read_bytes(), tz=ZONE)
    assert (parsed.format, parsed.readings) == ("fhir", [Reading("resource", utc(2021, 7, 9, 9, 33, 24), {"hr": 60.0})])


def test_point_of_care_device_xml_blood_pressure_drops_the_mean():
    parsed = parse((POCD / "Observation-NBPCompoundNumericObservation.xml").read_bytes(), tz=ZONE)
    assert parsed.readings == [Reading("resource", utc(2021, 7, 9, 9, 30, 12), {"sbp": 120.0, "dbp": 80.0})]
    assert parsed.skipped == [{"where": "resource", "reason": MEAN_BP}]


def test_us_core_client_bundle_merges_every_vital_of_the_day():
    parsed = read_fhir((INFERNO / "uscore_bundle_patient_client_test.json").read_bytes())
    assert parsed.readings == [Reading("entry 21", MIDNIGHT_1999_07_02, {
        "rr": 26.0, "hr": 44.0, "sbp": 109.0, "dbp": 44.0, "temp_c": 36.55556, "spo2": 99.0}, date_only=True)]
    assert parsed.rejected == []
    assert parsed.skipped[:2] == [{"where": "entry 1", "reason": "Patient is not an observation"},
                                  {"where": "entry 2", "reason": "AllergyIntolerance is not an observation"}]
    assert {"where": "entry 32", "reason": "Observation 96607-7 'Blood pressure panel mean systolic and mean "
                                           "diastolic' is not a vitals field"} in parsed.skipped


def test_us_quality_core_bundle():
    parsed = read_fhir((INFERNO / "us_quality_core_bundle_patient.json").read_bytes())
    assert parsed.readings == [Reading("entry 9", MIDNIGHT_1999_07_02, {
        "sbp": 109.0, "dbp": 44.0, "temp_c": 36.6, "hr": 44.0, "spo2": 99.0, "o2_lpm": 2.0, "rr": 26.0},
        date_only=True)]
    assert parsed.rejected == []
    for skip in [
        {"where": "entry 2", "reason": "Media is not an observation"},  # would fail strict parsing
        {"where": "entry 10", "reason": "systolic BP: no value (dataAbsentReason 'unknown')"},
        {"where": "entry 10", "reason": "diastolic BP: no value (dataAbsentReason 'unknown')"},
        {"where": "entry 18", "reason": "FiO2 is not a vitals field (the record keeps O2 flow in L/min)"},
        {"where": "entry 81", "reason": "status cancelled: not a measurement to import"},
    ]:
        assert skip in parsed.skipped


def test_synthea_bundle_with_invalid_and_absent_values():
    parsed = read_fhir((INFERNO / "uscore_bundle_patient_355.json").read_bytes())
    assert parsed.readings == [
        Reading("entry 198", utc(1976, 2, 5, 23, 33, 18), {"rr": 14.0}),
        Reading("entry 266", utc(1994, 5, 19, 23, 33, 18), {"dbp": 85.0, "sbp": 129.0}),
        Reading("entry 313", utc(2003, 7, 10, 23, 33, 18), {"hr": 65.0}),
        Reading("entry 355", utc(2009, 8, 19, 23, 33, 18), {"temp_c": 37.799}),
    ]
    assert parsed.rejected == []
    for skip in [
        {"where": "entry 267", "reason": "not a valid FHIR R4 Observation: effectivePeriod.stop: "
                                         "Extra inputs are not permitted"},
        {"where": "entry 447", "reason": "heart rate: no value (dataAbsentReason 'unknown')"},
        {"where": "entry 6", "reason": "Encounter is not an observation (129 entries)"},
    ]:
        assert skip in parsed.skipped


def test_synthea_legacy_bp_panel_keeps_unrounded_values():
    parsed = read_fhir(ANTONIO.read_bytes())
    assert parsed.readings == [
        Reading("entry 23", utc(2013, 8, 10, 4, 44, 29), {"dbp": 93.00482140909635, "sbp": 162.1435023309785}),
        Reading("entry 49", utc(2016, 8, 13, 4, 44, 29), {"dbp": 99.94584485554826, "sbp": 185.05226551933194}),
        Reading("entry 58", utc(2017, 6, 5, 4, 44, 29), {"temp_c": 37.67880258444263}),
        Reading("entry 66", utc(2019, 8, 17, 4, 44, 29), {"dbp": 104.67679778886458, "sbp": 157.1960984091428}),
    ]
    assert {"where": "entry 20", "reason": "pain score is not imported from FHIR: it is assessed at the chair "
                                           "(3 entries)"} in parsed.skipped


def test_a_searchset_bundle_of_mixed_entries():
    temperature_f = {**spec_example("body-temperature"), "effectiveDateTime": "2024-05-01T10:00:00+02:00",
                     "valueQuantity": {"value": 98.6, "unit": "°F", "system": "http://unitsofmeasure.org",
                                       "code": "[degF]"}}
    heart_rate = {**spec_example("heart-rate"), "effectiveDateTime": "2024-05-01T08:00:00Z",
                  "valueQuantity": {"value": 82, "unit": "beats/minute"}}
    as_text = {k: v for k, v in heart_rate.items() if k != "valueQuantity"} | {"valueString": "80"}
    untimed = {k: v for k, v in heart_rate.items() if k != "effectiveDateTime"}
    parsed = read_fhir({"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": temperature_f}, {"resource": spec_example("f202-temperature")},
        {"request": {"method": "DELETE", "url": "Observation/1"}}, {"resource": as_text}, {"resource": untimed},
        {"resource": heart_rate}, {"fullUrl": "urn:uuid:1"}]})
    assert parsed.readings == [Reading("entry 1", utc(2024, 5, 1, 8, 0), {"temp_c": 37.0, "hr": 82.0})]
    assert parsed.skipped == [
        {"where": "entry 2", "reason": "status entered-in-error: not a measurement to import"},
        {"where": "entry 3", "reason": "a DELETE request: nothing to import"},
        {"where": "entry 7", "reason": "an entry without a resource"},
    ]
    assert parsed.rejected == [
        {"where": "entry 4", "field": "hr", "message": "heart rate is given as valueString, not as a quantity"},
        {"where": "entry 5", "field": "taken_at", "message": "no effectiveDateTime, effectivePeriod.start or issued"},
    ]


def test_an_xml_bundle():
    observation = (POCD / "Observation-HeartRateNumericObservation.xml").read_text().split("?>", 1)[1]
    bundle = ('<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/>'
              f"<entry><resource>{observation}</resource></entry>"
              '<entry><resource><Patient><id value="p"/></Patient></resource></entry></Bundle>')
    parsed = parse(bundle.encode(), tz=ZONE)
    assert parsed.readings == [Reading("entry 1", utc(2021, 7, 9, 9, 33, 24), {"hr": 60.0})]
    assert parsed.skipped == [{"where": "entry 2", "reason": "Patient is not an observation"}]


def test_an_unknown_unit_is_rejected():
    parsed = read_fhir({**spec_example("body-temperature"), "valueQuantity": {"value": 310, "unit": "K"}})
    assert parsed.rejected == [{"where": "resource", "field": "temp_c", "message": "temperature: unit 'K' is not "
                                                                                   "°C or °F"}]


@pytest.mark.parametrize(("data", "where_what"), [
    ((SPEC / "observation-example-heart-rate.json").read_bytes()[:300],
     "line 11 column 12: Unterminated string starting at"),
    (b'{"id": "no-type"}', "resource: no resourceType, so not a FHIR resource"),
    (b"[1, 2]", "resource: no resourceType, so not a FHIR resource"),
    (json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{}, {}, {"fullUrl": 5}]}).encode(),
     "entry 3: not a valid FHIR R4 Bundle: entry.2.fullUrl: Input should be a valid string"),
    (b"<html><body>Not FHIR</body></html>", "line 1: <html> is not a FHIR resource"),
])
def test_a_malformed_resource_is_refused_naming_the_line_or_entry(data, where_what):
    with pytest.raises(ValidationFailed) as refused:
        read_fhir(data)
    assert refused.value.fields == {"file": where_what}


def test_broken_xml_is_refused_naming_the_line():
    data = (POCD / "Observation-NBPCompoundNumericObservation.xml").read_bytes()
    with pytest.raises(ValidationFailed) as refused:
        read_fhir(data[:1500])
    assert refused.value.fields["file"].startswith("line ")
