"""The import's parsing half as its caller sees it: every real sample file, format detection, empty files."""
from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from monitor.errors import BadRequest, ValidationFailed
from monitor.interop.formats import ParsedFile, parse
from tests.helpers import SAMPLES as DATA

ZONE = ZoneInfo("Europe/Berlin")
VITALS_FIELDS = {"hr", "sbp", "dbp", "spo2", "rr", "temp_c", "etco2", "o2_lpm"}

# Every file in tests/samples (../shared/data, copied): the format it is detected as and how many readings it gives.
EXPECTED = {
    "HL7__uv-pocd/Observation-HeartRateNumericObservation.xml": ("fhir", 1),
    "HL7__uv-pocd/Observation-NBPCompoundNumericObservation.xml": ("fhir", 1),
    "IHEPCD__ihe-pcd-tf-2020/PCD01_CommunicatePCDData_soap.xml": ("hl7", 1),
    "IHEPCD__ihe-pcd-tf-2020/PCD01_E.1.1_philips_physio_monitor.hl7": ("hl7", 2),
    "IHEPCD__ihe-pcd-tf-2020/PCD01_E.1.2_acme_gateway_episodic_nibp.hl7": ("hl7", 1),
    "JohannesNE__waveformtools/DrgVentMedibusXMeasuredCP1DataExport.csv": ("csv", 26),
    "MIT-LCP__wfdb-python/derived_s00001-2896-10-10-00-31n.csv": ("csv", 1896),
    "MIT-LCP__wfdb-python/derived_s25047-2704-05-04-10-44n.csv": ("csv", 69),
    "fhir-ru__fhir-ru.github.io/observation-example-bloodpressure-dar.json": ("fhir", 1),
    "fhir-ru__fhir-ru.github.io/observation-example-bloodpressure.json": ("fhir", 1),
    "fhir-ru__fhir-ru.github.io/observation-example-body-temperature.json": ("fhir", 1),
    "fhir-ru__fhir-ru.github.io/observation-example-f202-temperature.json": ("fhir", 0),
    "fhir-ru__fhir-ru.github.io/observation-example-heart-rate.json": ("fhir", 1),
    "fhir-ru__fhir-ru.github.io/observation-example-mbp.json": ("fhir", 0),
    "fhir-ru__fhir-ru.github.io/observation-example-respiratory-rate.json": ("fhir", 1),
    "fhir-ru__fhir-ru.github.io/observation-example-sample-data.json": ("fhir", 0),
    "fhir-ru__fhir-ru.github.io/observation-example-satO2.json": ("fhir", 1),
    "fhir-ru__fhir-ru.github.io/observation-example-vitals-panel.json": ("fhir", 0),
    "inferno-framework__inferno-reference-server-data/us_quality_core_bundle_patient.json": ("fhir", 1),
    "inferno-framework__inferno-reference-server-data/uscore_bundle_patient_355.json": ("fhir", 4),
    "inferno-framework__inferno-reference-server-data/uscore_bundle_patient_client_test.json": ("fhir", 1),
    "smart-on-fhir__generated-sample-data/Antonio_Castellanos_6d2eba67-5b4a-403f-a29f-e6da3f1ea963.json": ("fhir", 4),
}
# A WFDB record is a header and a binary signal file: one upload cannot carry it. Its derived CSV
# is imported instead (test_import_csv checks the two agree sample by sample).
WFDB = ["MIT-LCP__wfdb-python/raw/s25047-2704-05-04-10-44n.hea", "MIT-LCP__wfdb-python/raw/3234460n.dat",
        "MIT-LCP__wfdb-python/raw/s00001-2896-10-10-00-31n.hea", "MIT-LCP__wfdb-python/raw/3975656n.dat"]


def test_every_sample_file_is_covered():
    on_disk = {str(path.relative_to(DATA)) for path in DATA.rglob("*") if path.is_file()} - {"SOURCES.md"}
    assert on_disk == set(EXPECTED) | set(WFDB)


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items(), ids=lambda value: str(value).split("/")[-1])
def test_every_sample_file_is_detected_and_parsed(name, expected):
    parsed = parse((DATA / name).read_bytes(), tz=ZONE)
    assert (parsed.format, len(parsed.readings)) == expected
    assert_fit_for_storing(parsed)


def assert_fit_for_storing(parsed: ParsedFile) -> None:
    """What the storing half relies on: UTC times in order, API field names, reasons for everything left out."""
    times = [reading.taken_at for reading in parsed.readings]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert all(moment.tzinfo is UTC for moment in times)
    assert all(reading.values and set(reading.values) <= VITALS_FIELDS for reading in parsed.readings)
    assert all(set(skip) == {"where", "reason"} and skip["reason"] for skip in parsed.skipped)
    assert all(set(reject) == {"where", "field", "message"} for reject in parsed.rejected)
    assert parsed.readings or parsed.skipped, "a file that imports nothing says why"


@pytest.mark.parametrize("name", [name for name in WFDB if name.endswith(".hea")])
def test_a_wfdb_header_alone_is_refused(name):
    with pytest.raises(ValidationFailed) as refused:
        parse((DATA / name).read_bytes(), tz=ZONE)
    assert refused.value.fields == {"file": "line 1: no time column (expected taken_at, timestamp, time, date or "
                                            "elapsed_s)"}


@pytest.mark.parametrize(("name", "reason"), [
    ("fhir-ru__fhir-ru.github.io/observation-example-sample-data.json",
     "a waveform (valueSampledData), not a vital sign"),
    ("fhir-ru__fhir-ru.github.io/observation-example-vitals-panel.json",
     "a panel that only refers to other observations (hasMember), with no values of its own"),
    ("fhir-ru__fhir-ru.github.io/observation-example-f202-temperature.json",
     "status entered-in-error: not a measurement to import"),
    ("fhir-ru__fhir-ru.github.io/observation-example-mbp.json",
     "mean BP is computed by the server from sbp and dbp, not imported"),
])
def test_files_that_import_nothing_say_why(name, reason):
    parsed = parse((DATA / name).read_bytes(), tz=ZONE)
    assert (parsed.readings, parsed.skipped, parsed.rejected) == ([], [{"where": "resource", "reason": reason}], [])


@pytest.mark.parametrize("data", [b"", b"  \r\n\t"])
def test_an_empty_file_is_not_an_error(data):
    assert parse(data, tz=ZONE) == ParsedFile("csv", [], [{"where": "line 1", "reason": "the file is empty"}], [])
    assert parse(data, format="hl7", tz=ZONE).format == "hl7"


def test_the_format_given_wins_over_detection():
    heart_rate = (DATA / "fhir-ru__fhir-ru.github.io/observation-example-heart-rate.json").read_bytes()
    with pytest.raises(ValidationFailed) as refused:
        parse(heart_rate, format="hl7", tz=ZONE)
    assert refused.value.fields == {"file": "segment 1: '{' is not a message header (MSH)"}


def test_an_unknown_format_is_a_bad_request():
    with pytest.raises(BadRequest) as refused:
        parse(b"x", format="xlsx", tz=ZONE)
    assert refused.value.fields == {"format": "must be csv, hl7 or fhir"}


@pytest.mark.parametrize(("name", "corrupt", "where_what"), [
    ("MIT-LCP__wfdb-python/derived_s25047-2704-05-04-10-44n.csv", lambda data: data.replace(b"79.9", b'"79.9'),
     "line 73: unexpected end of data"),
    ("IHEPCD__ihe-pcd-tf-2020/PCD01_E.1.2_acme_gateway_episodic_nibp.hl7", lambda data: data.replace(b"OBR|", b"OB|"),
     "segment 4: 'OB|1|080019FFFE3ED02' is not an HL7 segment"),
    ("inferno-framework__inferno-reference-server-data/uscore_bundle_patient_client_test.json",
     lambda data: data[: len(data) // 2], "line 1651 column 4: Expecting ',' delimiter"),
])
def test_a_malformed_file_of_each_format_is_refused_naming_where(name, corrupt, where_what):
    with pytest.raises(ValidationFailed) as refused:
        parse(corrupt((DATA / name).read_bytes()), tz=ZONE)
    assert refused.value.fields == {"file": where_what}
    assert refused.value.status == 422
