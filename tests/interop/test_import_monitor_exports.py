"""A monitor's own CSV export as a nurse would upload it (issue 10 point 16): title, device and patient lines
above the header row, a byte-order mark, separate date and time columns, day-first dates and `-` for no
value. The header row is found, the lines above it are named in the report as preamble, and the readings
are imported; and the variants other monitors write."""
from __future__ import annotations

import codecs
from datetime import UTC, datetime

import pytest

from monitor.interop.formats import parse
from tests.helpers import SAMPLES, ZONE, counts, refused

from .test_imports_samples import upload

AS_WRITTEN = ("\ufeffIntelliVue MP30 trend export\r\nDevice: MP30  S/N DE12345678\r\nBed: 4;;;;;;\r\n\r\n"
              "Date;Time;HR [bpm];NBP-S [mmHg];NBP-D [mmHg];SpO2 [%];RR [rpm]\r\n"
              "15/05/2016;14:05:00;72;118;76;97;14\r\n"
              "15/05/2016;14:10:00;75;-;-;96;-\r\n"
              "15/05/2016;14:15:00;-;-;-;-;-\r\n").encode()


def preamble(line: int, header_line: int, words: str) -> dict:
    return {"where": f"line {line}", "reason": f"preamble above the header row (line {header_line}): '{words}'"}


def test_a_monitor_export_with_a_preamble_is_imported_naming_the_lines_skipped(api, db_path):
    session = api.session()
    response = upload(api, session["id"], AS_WRITTEN, "MP30_trend.csv")
    assert response.status_code == 201, response.get_json()
    report = response.get_json()
    assert (report["imported"], report["rejected"]) == (2, [])
    assert report["skipped"] == [
        preamble(1, 5, "IntelliVue MP30 trend export"), preamble(2, 5, "Device: MP30 S/N DE12345678"),
        preamble(3, 5, "Bed: 4"), {"where": "line 8", "reason": "no vital-sign value in this row"}]
    vitals = api.get(f"/api/sessions/{session['id']}").get_json()["vitals"]
    # 15 May 2016 is summer time in London: 14:05 local is 13:05 UTC
    assert [(v["taken_at"], v["hr"], v["sbp"], v["dbp"], v["spo2"], v["rr"]) for v in vitals] == [
        ("2016-05-15T13:05:00.000Z", 72, 118, 76, 97, 14), ("2016-05-15T13:10:00.000Z", 75, None, None, 96, None)]
    again = upload(api, session["id"], AS_WRITTEN, "MP30_trend.csv")
    assert (again.get_json()["imported"], again.get_json()["duplicates"]) == (0, 2)


def test_a_preamble_without_any_header_row_is_refused_naming_the_first_line(api, db_path):
    session = api.session()
    data = b"IntelliVue MP30 trend export\nDevice: MP30\n15/05/2016 14:05,72,97\n"
    before = counts(db_path)
    error = refused(upload(api, session["id"], data), 422, db_path, before, "validation_failed")
    assert error["fields"] == {"file": "line 1: no time column (expected taken_at, timestamp, time, date or "
                                       "elapsed_s)"}


def read(data: bytes):
    return parse(data, format="csv", tz=ZONE)


def local(*parts) -> datetime:
    return datetime(*parts, tzinfo=ZONE).astimezone(UTC)


# Exports like these the import has not seen before: each is read as its monitor meant it.
VARIANTS = {
    "comma, quoted title with commas, header with units": (
        b'"Patient monitor, ward 4",,\n"Exported 15/05/2016, 14:20",,\nTimestamp,Pulse (bpm),SpO2 (%)\n'
        b"15/05/2016 14:05,72,97\n",
        [(local(2016, 5, 15, 14, 5), {"hr": 72.0, "spo2": 97.0})], [1, 2]),
    "semicolon with decimal commas and a sep= hint": (
        b"sep=;\nMonitor;Dash 4000\nDate;Time;HR;Temp [C]\n15.05.2016;14:05;72;36,6\n",
        [(local(2016, 5, 15, 14, 5), {"hr": 72.0, "temp_c": 36.6})], [2]),
    "UTF-16 tab-separated (a spreadsheet's Unicode text) with a byte-order mark": (
        codecs.BOM_UTF16_LE + "Trend data\tBed 7\nDate\tTime\tHR\tSpO2\n15/05/2016\t14:05:00\t72\t—\n"
        .encode("utf-16-le"),
        [(local(2016, 5, 15, 14, 5), {"hr": 72.0})], [1]),
    "a units row under the header": (
        b"Device: X3\nDate,Time,HR,NBP,SpO2\n(dd/mm/yyyy),(hh:mm),[bpm],[mmHg],[%]\n15/05/2016,14:05,72,118/76,*\n",
        [(local(2016, 5, 15, 14, 5), {"hr": 72.0, "sbp": 118.0, "dbp": 76.0})], [1]),
    "the long layout below device lines": (
        b"Evita V500 export\nSerial;ABC-1\nTime;Parameter;Value;Unit\n2016-05-15 14:05:00;HR;72;bpm\n"
        b"2016-05-15 14:05:00;SpO2;97;%\n",
        [(local(2016, 5, 15, 14, 5), {"hr": 72.0, "spo2": 97.0})], [1, 2]),
}


@pytest.mark.parametrize("name", VARIANTS)
def test_exports_of_other_monitors_are_read_with_their_preamble_named(name):
    data, readings, preamble_lines = VARIANTS[name]
    parsed = read(data)
    assert [(r.taken_at, r.values) for r in parsed.readings] == readings
    assert parsed.rejected == []
    assert [s["where"] for s in parsed.skipped if s["reason"].startswith("preamble")] == [
        f"line {line}" for line in preamble_lines]


def test_a_file_whose_first_line_is_its_header_has_no_preamble():
    parsed = read(b"taken_at,hr\n2016-05-15T14:05:00Z,72\n")
    assert (len(parsed.readings), parsed.skipped) == (1, [])


def test_a_units_row_is_only_the_row_right_under_the_header():
    parsed = read(b"Time,HR\n2016-05-15 14:05:00,72\nbpm,bpm\n")
    assert parsed.rejected == [{"where": "line 3", "field": "hr", "message": "'bpm' is not a number"}]


REAL_CSV = sorted(path for path in SAMPLES.rglob("*.csv"))


@pytest.mark.parametrize("path", REAL_CSV, ids=lambda path: path.name)
def test_the_real_csv_samples_read_the_same_below_a_preamble(path):
    """The shared sample exports (MIMIC numerics, a Dräger ventilator) with title lines put above them:
    the same readings, skipped rows and rejections, with the title lines named."""
    data = path.read_bytes()
    plain, below = read(data), read(b"Trend export\r\nDevice: bedside monitor 3\r\n\r\n" + data)
    assert [(r.taken_at, r.values) for r in below.readings] == [(r.taken_at, r.values) for r in plain.readings]
    assert below.rejected == [moved(problem) for problem in plain.rejected]
    assert below.skipped[:2] == [preamble(1, 4, "Trend export"), preamble(2, 4, "Device: bedside monitor 3")]
    assert below.skipped[2:] == [moved(skip) for skip in plain.skipped]


def moved(item: dict) -> dict:
    """A report item three lines further down."""
    noun, number = item["where"].split(" ")
    return item | {"where": f"{noun} {int(number) + 3}"}


def test_the_hour_the_clocks_go_back_through_is_read_in_the_files_order():
    """London, 27 October 2024: 01:00-01:59 happens at summer time (+01:00), then again at winter time
    (+00:00). A monitor's local-time export goes through it twice, in order."""
    data = (b"Time,HR\n2024-10-27 00:45,70\n2024-10-27 01:15,71\n2024-10-27 01:45,72\n2024-10-27 01:05,73\n"
            b"2024-10-27 01:35,74\n2024-10-27 02:05,75\n")
    parsed = parse(data, format="csv", tz=ZONE)
    assert [(r.where, r.taken_at.strftime("%H:%M")) for r in parsed.readings] == [
        ("line 2", "23:45"), ("line 3", "00:15"), ("line 4", "00:45"), ("line 5", "01:05"), ("line 6", "01:35"),
        ("line 7", "02:05")]
    assert parsed.skipped == []
