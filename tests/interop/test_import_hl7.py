"""Importing HL7 v2 ORU^R01 messages from patient monitors (IHE PCD-01), plain and SOAP-wrapped."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from monitor.errors import ValidationFailed
from monitor.interop.formats import Reading, parse
from tests.helpers import SAMPLES

IHE = SAMPLES / "IHEPCD__ihe-pcd-tf-2020"
PHILIPS = (IHE / "PCD01_E.1.1_philips_physio_monitor.hl7").read_bytes()
ACME = (IHE / "PCD01_E.1.2_acme_gateway_episodic_nibp.hl7").read_bytes()
SOAP = (IHE / "PCD01_CommunicatePCDData_soap.xml").read_bytes()
ZONE = ZoneInfo("Europe/Berlin")
HEADER = b"MSH|^~\\&|MONITOR|CLINIC|||20240501101500+0200||ORU^R01^ORU_R01|1|P|2.6\rOBR|1|||x|||20240501101400+0200\r"

PHILIPS_SKIPPED = [
    {"where": "OBX 1", "reason": "a device or group row without a value (7 OBX segments)"},
    {"where": "OBX 6", "reason": "mean BP is computed by the server from sbp and dbp, not imported"},
    {"where": "OBX 10", "reason": "147232 MDC_ECG_TIME_PD_QT_GL is not a vitals field"},
    {"where": "OBX 11", "reason": "147236 MDC_ECG_TIME_PD_QTc is not a vitals field"},
    {"where": "OBX 13", "reason": "184327 MDC_ECG_STAT_RHY is not a vitals field"},
    {"where": "OBX 17", "reason": "150448 MDC_PULS_OXIM_PERF_REL is not a vitals field"},
]


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def read_hl7(data: bytes):
    return parse(data, format="hl7", tz=ZONE)


def test_philips_monitor_gives_nibp_at_its_own_time_and_the_rest_at_the_request_time():
    parsed = read_hl7(PHILIPS)
    assert parsed.format == "hl7"
    # MSH-7 says the sender's clock is at +0000: OBX-14 and OBR-7, given without an offset, are UTC.
    assert parsed.readings == [
        Reading("OBX 4", utc(2015, 1, 22, 11, 50), {"sbp": 117.0, "dbp": 82.0}),  # OBX-14, alarm limits ignored
        Reading("OBX 9", utc(2015, 1, 22, 18, 26, 56), {"hr": 80.0, "rr": 30.0, "spo2": 99.0}),  # OBR-7
    ]
    assert parsed.skipped == PHILIPS_SKIPPED
    assert parsed.rejected == []


def test_times_take_the_clinic_zone_when_the_header_gives_no_offset():
    parsed = read_hl7(PHILIPS.replace(b"20150122182658+0000", b"20150122182658"))
    assert [(reading.where, reading.taken_at) for reading in parsed.readings] == [
        ("OBX 4", utc(2015, 1, 22, 10, 50)), ("OBX 9", utc(2015, 1, 22, 17, 26, 56))]  # CET is +01:00


@pytest.mark.parametrize("segment_end", [b"\n", b"\r\n"])
def test_lf_and_crlf_segment_ends_read_like_cr(segment_end):
    assert read_hl7(PHILIPS.replace(b"\r", segment_end)).readings == read_hl7(PHILIPS).readings


def test_latin1_declared_in_msh18_is_decoded():
    parsed = read_hl7(PHILIPS.replace(b"MDC_ECG_TIME_PD_QT_GL", "MDC_ECG_TIME_PD_QT_GL_µs".encode("latin-1")))
    assert {"where": "OBX 10", "reason": "147232 MDC_ECG_TIME_PD_QT_GL_µs is not a vitals field"} in parsed.skipped


def test_acme_gateway_with_ucum_units():
    parsed = read_hl7(ACME)
    assert parsed.readings == [Reading("OBX 4", utc(2011, 6, 2, 4, 58, 42), {"sbp": 111.0, "dbp": 60.0, "hr": 63.0})]
    assert parsed.skipped == [
        {"where": "OBX 1", "reason": "a device or group row without a value (3 OBX segments)"},
        {"where": "OBX 6", "reason": "mean BP is computed by the server from sbp and dbp, not imported"},
    ]


def test_soap_wrapped_message_with_its_status_field_shifted():
    parsed = parse(SOAP, tz=ZONE)  # detected as HL7 inside XML
    assert parsed.format == "hl7"
    assert parsed.readings == [Reading("OBX 3", utc(2009, 8, 13, 4, 57, 15), {"sbp": 120.0, "dbp": 80.0})]
    assert parsed.skipped == [
        {"where": "OBX 1", "reason": "a device or group row without a value (2 OBX segments)"},
        {"where": "OBX 5", "reason": "mean BP is computed by the server from sbp and dbp, not imported"},
    ]


def test_8388607_is_not_a_value():
    parsed = read_hl7(PHILIPS.replace(b"|80|264864", b"|8388607|264864"))
    assert parsed.readings[1].values == {"rr": 30.0, "spo2": 99.0}
    assert {"where": "OBX 9", "reason": "8388607 means 'not available', not a value"} in parsed.skipped


@pytest.mark.parametrize("obx", [
    b"OBX|1|NM|150344^MDC_TEMP^MDC|1.1.1.1|98.6|266560^MDC_DIM_FAHR^MDC|||||R",
    b"OBX|1|NM|150344^MDC_TEMP^MDC|1.1.1.1|98.6|[degF]^[degF]^UCUM|||||R",
    b"OBX|1|NM|8310-5^Body temperature^LN||98.6|[degF]^[degF]^UCUM|||||F",
])
def test_fahrenheit_is_converted_to_celsius(obx):
    parsed = read_hl7(HEADER + obx + b"\r")
    assert parsed.readings == [Reading("OBX 1", utc(2024, 5, 1, 8, 14), {"temp_c": 37.0})]


def test_ecg_heart_rate_wins_over_the_cuff_pulse_of_the_same_time():
    parsed = read_hl7(HEADER + b"OBX|1|NM|149546^MDC_PULS_RATE_NON_INV^MDC||63|{beat}/min^{beat}/min^UCUM\r"
                               b"OBX|2|NM|147842^MDC_ECG_HEART_RATE^MDC||80|264864^MDC_DIM_BEAT_PER_MIN^MDC\r")
    assert parsed.readings == [Reading("OBX 1", utc(2024, 5, 1, 8, 14), {"hr": 80.0})]
    assert parsed.skipped == [{"where": "OBX 1", "reason": "hr from MDC_PULS_RATE_NON_INV not used: "
                                                           "MDC_ECG_HEART_RATE gives it for the same time"}]


def test_rows_that_are_not_plain_numbers():
    parsed = read_hl7(HEADER + b"OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC||9x|%\r"
                               b"OBX|2|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC||97|furlong\r"
                               b"OBX|3|ST|150456^MDC_PULS_OXIM_SAT_O2^MDC||97|%\r"
                               b"OBX|4|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC||97|%||||W\r"
                               b"OBX|5|NM|151562^MDC_RESP_RATE^MDC||14|/min|||||R|||2024-05-01\r")
    assert parsed.readings == []
    assert parsed.rejected == [
        {"where": "OBX 1", "field": "spo2", "message": "OBX-5 '9x' is not a number"},
        {"where": "OBX 2", "field": "spo2", "message": "OBX-6: unit 'furlong' is not %"},
        {"where": "OBX 5", "field": "taken_at", "message": "'2024-05-01' is not an HL7 time (YYYYMMDDHHMMSS[+ZZZZ])"},
    ]
    assert parsed.skipped == [
        {"where": "OBX 3", "reason": "MDC_PULS_OXIM_SAT_O2: OBX-2 is ST, not a number"},
        {"where": "OBX 4", "reason": "OBX-11 'W': the result was posted as wrong"},
    ]


def test_several_messages_and_groups_are_named_in_where():
    parsed = read_hl7(PHILIPS + ACME)
    assert [reading.where for reading in parsed.readings] == ["message 2 OBX 4", "message 1 OBX 4", "message 1 OBX 9"]
    grouped = read_hl7(HEADER + b"OBX|1|NM|151562^MDC_RESP_RATE^MDC||14|/min\r"
                                b"OBR|2|||x|||20240501102400+0200\rOBX|1|NM|151562^MDC_RESP_RATE^MDC||16|/min\r")
    assert grouped.readings == [Reading("OBR 1 OBX 1", utc(2024, 5, 1, 8, 14), {"rr": 14.0}),
                                Reading("OBR 2 OBX 1", utc(2024, 5, 1, 8, 24), {"rr": 16.0})]


def test_a_message_without_observations_imports_nothing_and_says_why():
    parsed = read_hl7(b"MSH|^~\\&|||||20240101||ADT^A01|1|P|2.6\rPID|1\r")
    assert (parsed.readings, parsed.skipped) == ([], [{"where": "segment 1",
                                                       "reason": "the message holds no OBX observation"}])


@pytest.mark.parametrize(("data", "where_what"), [
    (PHILIPS[PHILIPS.index(b"PID"):], "segment 1: 'PID|||HO2009001^^^^M' is not a message header (MSH)"),
    (PHILIPS.replace(b"OBX|7|", b"O#X|7|"), "segment 11: 'O#X|7|ST|4262^MDC_DE' is not an HL7 segment"),
    (PHILIPS.replace(b"OBX|7|", b"OBX 7|"), "segment 11: 'OBX 7|ST|4262^MDC_DE' is not an HL7 segment"),
    (b"MSH|\r", "segment 1: MSH without its separator and encoding characters"),
])
def test_a_malformed_message_is_refused_naming_the_segment(data, where_what):
    with pytest.raises(ValidationFailed) as refused:
        read_hl7(data)
    assert refused.value.fields == {"file": where_what}


def test_a_truncated_soap_envelope_is_refused_naming_the_line():
    with pytest.raises(ValidationFailed) as refused:
        read_hl7(SOAP[: len(SOAP) // 2])
    assert refused.value.fields["file"].startswith("line ")
