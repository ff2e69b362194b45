"""Importing CSV: the canonical template, monitor exports (MIMIC numerics, a Dräger ventilator), the long layout."""
from __future__ import annotations

from array import array
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.errors import ValidationFailed
from monitor.interop.formats import Reading, parse
from tests.helpers import SAMPLES as DATA

MIMIC = DATA / "MIT-LCP__wfdb-python"
ZONE = ZoneInfo("Europe/Berlin")  # CEST (+02:00) in summer, CET (+01:00) in winter


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def read_csv(text: str | bytes):
    return parse(text.encode() if isinstance(text, str) else text, format="csv", tz=ZONE)


def test_canonical_template_uses_the_api_field_names():
    parsed = read_csv(
        "taken_at,hr,sbp,dbp,spo2,rr,temp_c,etco2,o2_lpm,pain,moaas,consciousness,note\n"
        "2024-05-01T10:00:00,72,128,84,97,14,36.8,38,2,3,5,a,before infusion\n"
        "2024-05-01T10:10:00Z,75,141,90,96,,,,0,,,,\n"
    )
    assert parsed.format == "csv"
    assert parsed.readings == [
        Reading("line 2", utc(2024, 5, 1, 8, 0), {"hr": 72.0, "sbp": 128.0, "dbp": 84.0, "spo2": 97.0, "rr": 14.0,
                                                   "temp_c": 36.8, "etco2": 38.0, "o2_lpm": 2.0, "pain": 3.0,
                                                   "moaas": 5.0, "consciousness": "A", "note": "before infusion"}),
        Reading("line 3", utc(2024, 5, 1, 10, 10), {"hr": 75.0, "sbp": 141.0, "dbp": 90.0, "spo2": 96.0,
                                                     "o2_lpm": 0.0}),
    ]
    assert parsed.skipped == [] and parsed.rejected == []


@pytest.mark.parametrize(("header", "cell", "field", "value"), [
    ("HR", "80", "hr", 80.0),
    ("Heart Rate", "80", "hr", 80.0),
    ("HR [bpm]", "80", "hr", 80.0),
    ("Pulse", "80", "hr", 80.0),
    ("NBPSys", "120", "sbp", 120.0),
    ("NBP sys [mmHg]", "120", "sbp", 120.0),
    ("Systolic", "120", "sbp", 120.0),
    ("NBPDias", "80", "dbp", 80.0),
    ("NBP dia [mmHg]", "80", "dbp", 80.0),
    ("SpO2 [%]", "97", "spo2", 97.0),
    ("SpO₂", "97", "spo2", 97.0),
    ("RESP [pm]", "16", "rr", 16.0),
    ("Respiratory Rate", "16", "rr", 16.0),
    ("Temp [°C]", "36.6", "temp_c", 36.6),
    ("Temp [°F]", "98.6", "temp_c", 37.0),
    ("temp_f", "100.4", "temp_c", 38.0),
    ("etCO2 [mmHg]", "38", "etco2", 38.0),
    ("etCO2 [kPa]", "5.1", "etco2", 38.3),
    ("O2 flow [L/min]", "2", "o2_lpm", 2.0),
])
def test_monitor_headers_map_to_fields(header, cell, field, value):
    parsed = read_csv(f"timestamp,{header}\n2024-05-01 10:00:00,{cell}\n")
    assert parsed.readings == [Reading("line 2", utc(2024, 5, 1, 8, 0), {field: value})]


def test_a_bp_column_holds_systolic_over_diastolic():
    parsed = read_csv("taken_at,BP\n2024-05-01T10:00:00Z,117/82\n2024-05-01T10:05:00Z,high\n")
    assert parsed.readings == [Reading("line 2", utc(2024, 5, 1, 10, 0), {"sbp": 117.0, "dbp": 82.0})]
    assert parsed.rejected == [{"where": "line 3", "field": "sbp",
                                "message": "column 'BP': 'high' is not a blood pressure like 120/80"}]


def test_pulse_fills_heart_rate_only_where_the_ecg_gives_none():
    parsed = read_csv("taken_at,PULSE,HR\n"
                      "2024-05-01T10:00:00Z,63,80\n"
                      "2024-05-01T10:01:00Z,64,\n"
                      "2024-05-01T10:02:00Z,65,0.0\n")
    assert [reading.values for reading in parsed.readings] == [{"hr": 80.0}, {"hr": 64.0}, {"hr": 65.0}]
    assert parsed.skipped == [
        {"where": "line 1", "reason": "column 'PULSE' gives hr only where 'HR' has none"},
        {"where": "line 4", "reason": "HR: 0 is the monitor's 'no signal', not a measurement"},
    ]


def test_mean_and_arterial_pressure_columns_are_skipped_with_a_reason():
    parsed = read_csv("taken_at,NBPSys,NBPDias,NBPMean,ABPSys,Weight\n2024-05-01T10:00:00Z,120,80,93,131,70\n")
    assert parsed.readings[0].values == {"sbp": 120.0, "dbp": 80.0}
    assert parsed.skipped == [
        {"where": "line 1", "reason": "column 'NBPMean': mean BP is computed by the server from sbp and dbp, "
                                      "not imported"},
        {"where": "line 1", "reason": "column 'ABPSys': arterial (invasive) BP is not imported: the record keeps "
                                      "cuff BP"},
        {"where": "line 1", "reason": "column 'Weight' is not a vitals field"},
    ]


@pytest.mark.parametrize("text", [
    "taken_at;hr;temp_c\n2024-05-01 10:00;80;36,5\n",
    "taken_at\thr\ttemp_c\n2024-05-01 10:00\t80\t36.5\n",
    "sep=;\ntaken_at;hr;temp_c\n2024-05-01 10:00;80;36,5\n",
])
def test_semicolon_and_tab_delimiters_are_sniffed(text):
    assert [reading.values for reading in read_csv(text).readings] == [{"hr": 80.0, "temp_c": 36.5}]


@pytest.mark.parametrize(("stamp", "expected", "date_only"), [
    ("2024-05-01T10:00:00+05:00", utc(2024, 5, 1, 5, 0), False),
    ("2024-05-01 10:00", utc(2024, 5, 1, 8, 0), False),
    ("2024-01-15T10:00:00", utc(2024, 1, 15, 9, 0), False),  # winter: +01:00
    ("22-08-2017 08:30:35", utc(2017, 8, 22, 6, 30, 35), False),
    ("22/08/2017 08:30", utc(2017, 8, 22, 6, 30), False),
    ("2.8.2017 8:30", utc(2017, 8, 2, 6, 30), False),
    ("2024-05-01", utc(2024, 4, 30, 22, 0), True),
    ("01/05/2024", utc(2024, 4, 30, 22, 0), True),
])
def test_times_iso_or_day_first_without_offset_in_the_clinic_zone(stamp, expected, date_only):
    parsed = read_csv(f"taken_at,hr\n{stamp},80\n")
    assert parsed.readings == [Reading("line 2", expected, {"hr": 80.0}, date_only)]


def test_separate_date_and_time_columns_are_read_together():
    parsed = read_csv("Date,Time,HR\n22.08.2017,08:30:35,80\n")
    assert parsed.readings == [Reading("line 2", utc(2017, 8, 22, 6, 30, 35), {"hr": 80.0})]


def test_elapsed_seconds_alone_give_times_to_be_aligned():
    parsed = read_csv("elapsed_s,HR\n0,80\n60,82\n")
    assert parsed.relative_times is True
    assert [(reading.taken_at, reading.values) for reading in parsed.readings] == [
        (utc(1970, 1, 1, 0, 0), {"hr": 80.0}), (utc(1970, 1, 1, 0, 1), {"hr": 82.0})]


def test_markers_and_no_signal_are_skipped_not_rejected():
    parsed = read_csv("taken_at,HR,SpO2,NBPSys,o2_lpm\n"
                      "2024-05-01T10:00:00Z,0.0,-32768,8388607,0\n"
                      "2024-05-01T10:01:00Z,,NaN,,\n"
                      "2024-05-01T10:02:00Z,72,97,,\n")
    assert [reading.values for reading in parsed.readings] == [{"o2_lpm": 0.0}, {"hr": 72.0, "spo2": 97.0}]
    assert parsed.rejected == []
    assert parsed.skipped == [
        {"where": "line 2", "reason": "HR: 0 is the monitor's 'no signal', not a measurement"},
        {"where": "line 2", "reason": "SpO2: -32768 is a monitor's 'no value' marker, not a measurement"},
        {"where": "line 2", "reason": "NBPSys: 8388607 is a monitor's 'no value' marker, not a measurement"},
        {"where": "line 3", "reason": "no vital-sign value in this row"},
    ]


def test_unreadable_values_and_units_are_rejected_with_line_and_field():
    parsed = read_csv("taken_at,hr,Temp [K],spo2\n"
                      "2024-05-01T10:00:00Z,eighty,300,97\n"
                      "yesterday,80,,\n"
                      ",81,,\n")
    assert parsed.rejected == [
        {"where": "line 1", "field": "temp_c", "message": "column 'Temp [K]': unit 'K' is not °C or °F"},
        {"where": "line 2", "field": "hr", "message": "'eighty' is not a number"},
        {"where": "line 3", "field": "taken_at",
         "message": "'yesterday' is not a date and time (ISO 8601 or DD-MM-YYYY HH:MM:SS)"},
        {"where": "line 4", "field": "taken_at", "message": "no time given"},
    ]
    assert parsed.readings == [Reading("line 2", utc(2024, 5, 1, 10, 0), {"spo2": 97.0})]


def test_rows_of_the_same_time_merge_and_conflicts_are_reported():
    parsed = read_csv("taken_at,hr,sbp\n2024-05-01T10:00:00Z,80,\n2024-05-01T12:00:00+02:00,82,120\n")
    assert parsed.readings == [Reading("line 2", utc(2024, 5, 1, 10, 0), {"hr": 80.0, "sbp": 120.0})]
    assert parsed.skipped == [{"where": "line 3", "reason": "hr 82 not used: line 2 gives 80 for the same time"}]


def test_long_layout_with_a_header_and_units():
    parsed = read_csv("timestamp,parameter,value,unit\n"
                      "2024-05-01T10:00:00Z,HR,80,bpm\n"
                      "2024-05-01T10:00:00Z,etCO2,5.1,kPa\n"
                      "2024-05-01T10:00:00Z,Temp,98.6,°F\n"
                      "2024-05-01T10:00:00Z,Glucose,5.5,mmol/L\n")
    assert parsed.readings == [Reading("line 2", utc(2024, 5, 1, 10, 0),
                                       {"hr": 80.0, "etco2": 38.3, "temp_c": 37.0})]
    assert parsed.skipped == [{"where": "line 5", "reason": "Glucose is not a vitals field"}]


def test_dräger_ventilator_export_long_layout_without_header():
    parsed = read_csv((DATA / "JohannesNE__waveformtools" / "DrgVentMedibusXMeasuredCP1DataExport.csv").read_bytes())
    assert len(parsed.readings) == 26  # 08:30:35 to 08:31:00, one a second
    assert parsed.readings[0] == Reading("line 56", utc(2017, 8, 22, 6, 30, 35), {"rr": 6.0, "etco2": 29.0})
    assert parsed.readings[-1] == Reading("line 1976", utc(2017, 8, 22, 6, 31, 0), {"rr": 17.0, "etco2": 29.0})
    assert parsed.rejected == []
    reasons = {entry["reason"] for entry in parsed.skipped}
    assert "Apnea_duration: apnoea duration is not a vitals field (26 lines)" in reasons
    assert "Inspiratory_oxygen_fraction: FiO2 is not a vitals field (the record keeps O2 flow in L/min) " \
           "(26 lines)" in reasons
    assert "etco2 from Endtidal_CO2_concentration_kPa not used: Endtidal_CO2_concentration_mmHg gives it " \
           "for the same time (26 lines)" in reasons
    assert "Spontaneous_respiratory_rate: one part of the respiratory rate: the total (Respiratory_rate) is " \
           "imported (26 lines)" in reasons


def test_mimic_numerics_short_record():
    parsed = read_csv((MIMIC / "derived_s25047-2704-05-04-10-44n.csv").read_bytes())
    assert len(parsed.readings) == 69  # 72 minutes, 3 without any signal
    assert parsed.readings[:7] == [
        # the year stays as the file gives it (de-identified): the caller's align_start moves it
        Reading("line 2", utc(2704, 5, 4, 8, 44, 18, 529000), {"hr": 101.3, "rr": 16.5}),
        Reading("line 3", utc(2704, 5, 4, 8, 45, 18, 529000), {"hr": 103.0, "rr": 20.5}),
        Reading("line 4", utc(2704, 5, 4, 8, 46, 18, 529000),
                {"hr": 89.5, "rr": 21.2, "spo2": 95.7, "sbp": 87.0, "dbp": 46.0}),
        Reading("line 5", utc(2704, 5, 4, 8, 47, 18, 529000),
                {"hr": 79.9, "rr": 20.9, "spo2": 97.8, "sbp": 92.0, "dbp": 49.0}),
        Reading("line 6", utc(2704, 5, 4, 8, 48, 18, 529000), {"hr": 81.8, "rr": 20.7, "spo2": 99.6}),
        Reading("line 7", utc(2704, 5, 4, 8, 49, 18, 529000), {"hr": 76.8, "rr": 19.4, "spo2": 99.4}),
        # ECG HR and RESP show 0.0 (no signal): the pulse oximeter's 39.9 is the heart rate
        Reading("line 8", utc(2704, 5, 4, 8, 50, 18, 529000), {"hr": 39.9, "spo2": 99.9, "sbp": 86.0, "dbp": 22.0}),
    ]
    assert parsed.skipped == [
        {"where": "line 1", "reason": "column 'NBPMean [mmHg]': mean BP is computed by the server from sbp and dbp, "
                                      "not imported"},
        {"where": "line 1", "reason": "column 'PULSE [bpm]' gives hr only where 'HR [bpm]' has none"},
        {"where": "line 2", "reason": "SpO2 [%]: 0 is the monitor's 'no signal', not a measurement (11 lines)"},
        {"where": "line 8", "reason": "HR [bpm]: 0 is the monitor's 'no signal', not a measurement (28 lines)"},
        {"where": "line 8", "reason": "RESP [pm]: 0 is the monitor's 'no signal', not a measurement (5 lines)"},
        {"where": "line 52", "reason": "PULSE [bpm]: 0 is the monitor's 'no signal', not a measurement (6 lines)"},
        {"where": "line 64", "reason": "no vital-sign value in this row (3 lines)"},
    ]
    assert parsed.rejected == []


def test_mimic_numerics_long_record_with_arterial_pressure():
    parsed = read_csv((MIMIC / "derived_s00001-2896-10-10-00-31n.csv").read_bytes())
    assert len(parsed.readings) == 1896  # 1,936 minutes, 40 without any signal
    assert parsed.readings[0] == Reading("line 2", utc(2896, 10, 9, 22, 31, 25, 894000), {"rr": 23.0})
    by_line = {reading.where: reading for reading in parsed.readings}
    assert by_line["line 16"] == Reading("line 16", utc(2896, 10, 9, 22, 45, 25, 894000),
                                         {"hr": 55.6, "rr": 12.4, "spo2": 96.0, "sbp": 120.0, "dbp": 72.0})
    assert by_line["line 1926"].values == {"hr": 59.6, "rr": 12.1, "spo2": 96.9}  # ABP 129/59 not taken
    assert parsed.skipped[:3] == [
        {"where": "line 1", "reason": f"column '{name} [mmHg]': arterial (invasive) BP is not imported: "
                                      "the record keeps cuff BP"} for name in ("ABPSys", "ABPDias", "ABPMean")]


def wfdb_record(name: str) -> tuple[datetime, list[str], list[float], list[int]]:
    """Start, signal names, gains and interleaved 16-bit samples of a WFDB record (format 16)."""
    header = (MIMIC / "raw" / f"{name}.hea").read_text().splitlines()
    clock_text, date_text = header[0].split()[4:6]
    start = datetime.strptime(f"{date_text} {clock_text}", "%d/%m/%Y %H:%M:%S.%f")
    signals = [line.split() for line in header[1:] if line and not line.startswith("#")]
    samples = array("h", (MIMIC / "raw" / signals[0][0]).read_bytes())
    return start, [s[8] for s in signals], [float(s[2].split("/")[0]) for s in signals], list(samples)


def test_mimic_derived_csv_matches_the_raw_wfdb_samples():
    """The derived CSV as imported holds the monitor's own samples (gain 10 or 1, -32768 and 0 missing)."""
    start, names, gains, samples = wfdb_record("s25047-2704-05-04-10-44n")
    readings = {reading.taken_at: reading.values for reading in
                read_csv((MIMIC / "derived_s25047-2704-05-04-10-44n.csv").read_bytes()).readings}
    fields = {"HR": "hr", "RESP": "rr", "SpO2": "spo2", "NBPSys": "sbp", "NBPDias": "dbp"}
    for minute in range(len(samples) // len(names)):
        raw = dict(zip(names, samples[minute * len(names):(minute + 1) * len(names)], strict=True))
        physical = {name: raw[name] / gain for name, gain in zip(names, gains, strict=True)
                    if raw[name] not in (0, -32768)}
        expected = {field: physical[name] for name, field in fields.items() if name in physical}
        if "hr" not in expected and "PULSE" in physical:
            expected["hr"] = physical["PULSE"]
        moment = (start + timedelta(minutes=minute)).replace(tzinfo=ZONE).astimezone(UTC)
        assert readings.get(moment, {}) == expected, f"minute {minute}"


@pytest.mark.parametrize(("text", "where_what"), [
    (b"\x00\x01binary", "line 1: binary data (a NUL byte), not a CSV file"),
    (b"hello world\nno delimiters here\n",
     "line 1: no time column (expected taken_at, timestamp, time, date or elapsed_s)"),
    (b'taken_at,hr\n2024-05-01T10:00:00Z,"80\n', "line 2: unexpected end of data"),
])
def test_a_file_that_is_not_csv_is_refused_naming_the_line(text, where_what):
    with pytest.raises(ValidationFailed) as refused:
        read_csv(text)
    assert refused.value.fields == {"file": where_what}


def test_a_corrupted_mimic_row_is_refused_naming_its_line():
    lines = (MIMIC / "derived_s25047-2704-05-04-10-44n.csv").read_text().splitlines(keepends=True)
    lines[4] = lines[4].rstrip("\n") + ",12,13\n"  # two cells more than the header
    with pytest.raises(ValidationFailed) as refused:
        read_csv("".join(lines))
    assert refused.value.fields == {"file": "line 5: 12 cells, but the header on line 1 has 10"}


def test_a_truncated_mimic_file_keeps_what_is_complete():
    data = (MIMIC / "derived_s25047-2704-05-04-10-44n.csv").read_bytes()
    parsed = read_csv(data[:data.index(b"2704-05-04T10:47:18.529") + 30])  # cut in the middle of "68.5"
    assert parsed.readings[-1] == Reading("line 5", utc(2704, 5, 4, 8, 47, 18, 529000), {"hr": 79.9})


def test_a_header_without_rows_imports_nothing_and_says_why():
    parsed = read_csv("taken_at,hr,sbp\n")
    assert parsed.readings == []
    assert parsed.skipped == [{"where": "line 1", "reason": "the file holds no vital-sign values"}]


def test_a_large_canonical_file_keeps_every_row():
    """Speed is measured in bench/import_speed.py; here only that every row of a big file arrives."""
    start = datetime(2024, 6, 1, 8, 0)
    rows = [f"{(start + timedelta(seconds=15 * i)).isoformat()},{60 + i % 40},{110 + i % 50},{70 + i % 20},"
            f"{94 + i % 6},{12 + i % 8},36.{i % 9},{35 + i % 5},{i % 3}" for i in range(20_000)]
    data = ("taken_at,hr,sbp,dbp,spo2,rr,temp_c,etco2,o2_lpm\n" + "\n".join(rows) + "\n").encode()
    parsed = read_csv(data)
    assert len(parsed.readings) == 20_000 and parsed.rejected == [] and parsed.skipped == []
    assert parsed.readings[-1].values == {"hr": 99.0, "sbp": 159.0, "dbp": 89.0, "spo2": 95.0, "rr": 19.0,
                                          "temp_c": 36.1, "etco2": 39.0, "o2_lpm": 1.0}
