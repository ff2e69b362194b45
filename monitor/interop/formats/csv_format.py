"""CSV files: the canonical template, monitor exports, and the long `time,parameter,value` layout.

The canonical template has the vitals API's field names as headers (`taken_at,hr,sbp,dbp,...`).
Monitor exports name their columns their own way ("HR [bpm]", "NBPSys [mmHg]", "SpO2 [%]"):
`HEADERS` maps each name, compared in lower case without spaces or punctuation, with any unit in
brackets checked against the field. The long layout (one value per row, as ventilators export)
groups rows by their time.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from ...errors import ValidationFailed
from ..codes import ARTERIAL_BP, FIO2, MEAN_BP, UnitError, converter
from .model import FORMULA_STARTS, UTC, Collector, OutOfRange, ParsedFile, Reading, number_text, to_utc

ORIGIN = datetime(1970, 1, 1, tzinfo=UTC)  # where elapsed seconds count from, until aligned
DELIMITERS = ",;\t"
MISSING = {"", "nan", "na", "n/a", "-", "--", "---", "–", "—", "*", "***", "null", "none", "?"}
NOT_A_VALUE = {-32768.0, 8388607.0}  # WFDB's missing sample; MDC's "not available"
# A monitor writes 0 when it has no signal (leads off, probe off); a living patient cannot have
# a rate, pressure, saturation or temperature of 0. O2 flow, pain and MOAA/S can be 0.
ZERO_IS_NO_SIGNAL = {"hr", "sbp", "dbp", "spo2", "rr", "temp_c", "etco2"}
TEXT_FIELDS = {"consciousness", "note"}
SERVER_KEPT = "kept by the server, not read from the file"
NOT_VITAL = "not a vitals field"
TIME_FIELDS = {"taken_at", "date", "time", "elapsed_s"}
# A record of this app's CSV export that is not current is history, not a reading to import again.
NOT_CURRENT = {"amended": "status amended: a later record (its amendment) replaces it",
               "void": "status void: entered in error"}

UNIT_IN_NAME = re.compile(r"^(.*?)\s*[\[(]\s*([^\])]*?)\s*[\])]\s*$")
DECIMAL_COMMA = re.compile(r"-?\d+,\d+")
BLOOD_PRESSURE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)")
DAY_FIRST = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})(?:[ T]+(\d{1,2}:\d{2}.*))?")


@dataclass(frozen=True)
class Column:
    """What a column (or, in the long layout, a parameter) holds."""

    field: str = ""  # a vitals field, or one of taken_at, date, time, elapsed_s, bp; "" = not imported
    rank: int = 0  # lower wins when two columns give the same field
    unit: str = ""  # the unit its name implies ("temp_f" is in °F)
    reason: str = ""  # why a recognised column is not imported; "" = ignored without a word


def names(words: str, column: Column) -> dict[str, Column]:
    return dict.fromkeys(words.split(), column)


# Header or parameter name (lower case letters and digits only) -> what it holds.
HEADERS: dict[str, Column] = {
    **names("takenat timestamp timestampshifted datetime charttime recordedat observedat measuredat",
            Column("taken_at")),
    "date": Column("date"),
    "time": Column("time"),
    **names("elapseds elapsed elapsedsec elapsedseconds seconds secs", Column("elapsed_s")),
    **names("sample index row rownumber", Column()),
    **names("hr heartrate ecghr hrecg", Column("hr")),
    **names("pulse pulserate pr spo2pr prspo2", Column("hr", rank=1)),
    **names("nbppulse nibppulse", Column("hr", rank=2)),
    **names("sbp sys systolic systolicbp bpsys bpsystolic nbpsys nbps nbpsystolic nibpsys nibps nibpsystolic "
            "systolicbloodpressure", Column("sbp")),
    **names("dbp dia dias diastolic diastolicbp bpdia bpdias bpdiastolic nbpdia nbpdias nbpd nbpdiastolic "
            "nibpdia nibpdias nibpdiastolic diastolicbloodpressure", Column("dbp")),
    **names("bp nbp nibp bloodpressure", Column("bp")),
    **names("map mean meanbp bpmean mbp nbpmean nbpm nibpmean meanarterialpressure", Column(reason=MEAN_BP)),
    **names("abp abps abpsys abpd abpdia abpdias abpm abpmean art artsys artdia artmean ibp ibpsys ibpdia "
            "ibpmean", Column(reason=ARTERIAL_BP)),
    **names("spo2 spo2pct spo2percent o2sat osat oxygensaturation pulseox", Column("spo2")),
    **names("rr resp resprate respiratoryrate respirationrate breathingrate", Column("rr")),
    **names("tempc temp temperature bodytemperature bodytemp tempcelsius", Column("temp_c")),
    **names("tempf temperaturef tempfahrenheit", Column("temp_c", unit="°F")),
    **names("etco2 endtidalco2 petco2 co2et etco2mmhg endtidalco2concentrationmmhg", Column("etco2")),
    **names("etco2kpa endtidalco2concentrationkpa", Column("etco2", rank=1, unit="kPa")),
    **names("o2lpm o2flow o2flowrate oxygenflow o2lmin", Column("o2_lpm")),
    "pain": Column("pain"),
    "moaas": Column("moaas"),
    **names("consciousness avpu acvpu", Column("consciousness")),
    **names("note notes comment", Column("note")),
    **names("id sessionid enteredat enteredby late source seq supersedes reason amendreason voidreason news2 "
            "news2score news2band news2single3 news2partial", Column(reason=SERVER_KEPT)),
    "status": Column("status"),  # this app's own export: only current records are read back
    # Parameters of the Dräger ventilator export (VSCapture).
    "endtidalco2concentration": Column(reason="etCO2 without a unit (% or kPa): the mmHg value is imported"),
    **names("apneaduration apnoeaduration", Column(reason="apnoea duration is " + NOT_VITAL)),
    **names("inspiratoryoxygenfraction fio2", Column(reason=FIO2)),
    **names("spontaneousrespiratoryrate mandatoryrespiratoryrate respiratoryratebasedonco2measurement "
            "respiratoryratebasedonpressuremeasurement respiratoryratebasedonvolumeflowmeasurement",
            Column(reason="one part of the respiratory rate: the total (Respiratory_rate) is imported")),
}
LONG_HEADERS = {
    "parameter": "parameter param name label signal vital variable measurement measure code item",
    "value": "value val result reading",
    "unit": "unit units uom",
}


def parse_csv(data: bytes, zone: tzinfo) -> ParsedFile:
    """Read a CSV export of vitals in either layout: decode, sniff the delimiter, then read the rows
    in the layout the first row shows."""
    opened = Opened(data, zone)
    reader, first, clock, out = opened.reader, opened.first, opened.clock, opened.out
    with opened.errors_named():
        if first is None:
            out.skip("line 1", "the file holds no rows")
        elif is_long_row(first, clock):
            read_long(reader, first, (0, 1, 2, 3 if len(first) > 3 else None), reader.line_num, clock, out)
        elif (columns := long_columns(first)) is not None:
            read_long(reader, None, columns, reader.line_num, clock, out)
        else:
            read_wide(reader, plan_wide(first, reader.line_num, out), clock, out)
    return out.result()


class Opened:
    """A CSV file decoded, its delimiter sniffed, any preamble above its header row set aside (and named
    in the report), and its first row read."""

    def __init__(self, data: bytes, zone: tzinfo):
        text = decode(data)
        self.out, self.clock = Collector("csv"), Clock(zone)
        delimiter, text = sniff(text)
        if (found := header_below_preamble(text, delimiter, self.clock)) is not None:
            delimiter, text = found[0], found[1]
            for line, words in found[2]:
                self.out.skip(f"line {line}", f"preamble above the header row (line {found[3]}): {words}")
        self.reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        with self.errors_named():
            self.first = next((row for row in self.reader if any(cell.strip() for cell in row)), None)

    @contextmanager
    def errors_named(self):
        """The csv module's errors as a refusal that names the line."""
        try:
            yield
        except csv.Error as error:
            raise malformed(f"line {self.reader.line_num}: {error}") from None


def decode(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), UTF-16 with its byte-order mark (a spreadsheet's "Unicode
    text"), else Latin-1 as older spreadsheets write."""
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise malformed("line 1: not UTF-16 text after its byte-order mark") from None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise malformed(f"line {line}: binary data (a NUL byte), not a CSV file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def sniff(text: str) -> tuple[str, str]:
    """The delimiter (comma, semicolon or tab) that splits the first lines most consistently."""
    if text[:4].lower() == "sep=" and len(text) > 4:  # Excel's hint line, blanked to keep line numbers
        return text[4], "\n" + text.split("\n", 1)[1] if "\n" in text else ""
    lines = [line for line in text[:65536].splitlines()[:6] if line.strip()]
    counts = {d: min((line.count(d) for line in lines), default=0) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first on a tie: comma
    return (best if counts[best] else ","), text


PREAMBLE_LINES = 30  # lines a monitor's title, device and patient lines may take above the header row
LINE_END = re.compile(r"\r\n|\r|\n")  # as the csv module counts lines


def header_below_preamble(text: str, sniffed: str, clock: Clock) -> tuple[str, str, list[tuple[int, str]], int] | None:
    """A header row (or the first row of a headerless long layout) below title or device lines, as
    monitors' exports have: (its delimiter, the text with the lines above it blanked, keeping line
    numbers, [(line, its words)] of each non-empty one, the header's line). None when the first
    non-empty line is the header, or no line looks like one (the file is then read from its first
    row, which says what is wrong with it)."""
    starts = [0] + [end.end() for _, end in zip(range(PREAMBLE_LINES), LINE_END.finditer(text))]
    lines = [text[start:end] for start, end in zip(starts, starts[1:] + [len(text)])]
    written = [index for index, line in enumerate(lines) if line.strip()]
    for index in written:
        delimiter = header_delimiter(lines[index], sniffed, clock)
        if delimiter is None:
            continue
        if index == written[0]:
            return None
        preamble = [(number + 1, shown(lines[number])) for number in written if number < index]
        return delimiter, "\n" * index + text[starts[index]:], preamble, index + 1
    return None


def header_delimiter(line: str, sniffed: str, clock: Clock) -> str | None:
    """The delimiter under which `line` is a header row (a time column and a vitals column, or the long
    layout's columns) or a headerless long-layout row; the sniffed one first."""
    for delimiter in dict.fromkeys((sniffed, *DELIMITERS)):
        cells = next(csv.reader([LINE_END.sub("", line)], delimiter=delimiter), [])
        fields = {HEADERS[key].field for key in (header_key(cell)[0] for cell in cells) if key in HEADERS}
        if (fields & TIME_FIELDS and fields - TIME_FIELDS - {""} or long_columns(cells) is not None
                or is_long_row(cells, clock)):
            return delimiter
    return None


def shown(line: str, limit: int = 80) -> str:
    """A preamble line as the report quotes it: its words, not its empty cells."""
    words = " ".join(" ".join(cell.strip() for cell in re.split(r"[,;\t]", line) if cell.strip()).split())
    return f"'{words[:limit]}…'" if len(words) > limit else f"'{words}'"


def malformed(where_what: str) -> ValidationFailed:
    return ValidationFailed(f"Not a readable CSV file: {where_what}", fields={"file": where_what})


def header_key(name: str) -> tuple[str, str]:
    """A header's lookup key and the unit given in brackets: "NBP sys [mmHg]" -> ("nbpsys", "mmHg")."""
    name = unicodedata.normalize("NFKC", name).strip()
    unit = ""
    if match := UNIT_IN_NAME.match(name):
        name, unit = match.groups()
    return re.sub(r"[^a-z0-9]", "", name.lower()), unit


class Clock:
    """Reads one file's times: ISO 8601 or day-first dates; times without an offset in the clinic's zone.

    The hour the clocks go back through twice (01:00-01:59 on a fall-back night in London) is read in
    the file's order, as a monitor writes it: its first pass at summer time, and from the row where the
    clock goes back, the second pass at winter time.
    """

    def __init__(self, zone: tzinfo):
        self.zone = zone
        self.day_first = False
        # the zone's offset by local hour (DST changes on the hour), None for an hour the clock repeats
        self._offsets: dict[str, timedelta | None] = {}
        self.last: datetime | None = None  # the naive time read before
        self.second_pass = False  # reading the repeated hour's second pass

    def read(self, text: str) -> tuple[datetime, bool]:
        """The time in UTC, and whether the text gave only a date. Raises ValueError."""
        text = text.strip()
        moment = self._parse(text)
        if moment.tzinfo is UTC:  # 2026-11-23T10:04:15Z, as monitors export
            return moment, False
        if moment.tzinfo is not None:
            return to_utc(moment, self.zone, text), False
        hour = text[:13]
        if hour not in self._offsets:
            first, second = (moment.replace(tzinfo=self.zone, fold=fold).utcoffset() for fold in (0, 1))
            self._offsets[hour] = first if first == second else None
        offset = self._offsets[hour]
        if offset is None:
            self.second_pass = self.second_pass or self.last is not None and moment < self.last
            offset = moment.replace(tzinfo=self.zone, fold=int(self.second_pass)).utcoffset()
        else:
            self.second_pass = False
        self.last = moment
        try:
            return (moment - offset).replace(tzinfo=UTC), len(text) <= 10
        except OverflowError:
            raise OutOfRange(text) from None

    def _parse(self, text: str) -> datetime:
        if not self.day_first:
            try:
                return datetime.fromisoformat(text)
            except ValueError:
                pass
        match = DAY_FIRST.fullmatch(text)
        if match is None:
            return datetime.fromisoformat(text)
        self.day_first = True
        day, month, year, clock = match.groups()
        iso = f"{year}-{month:0>2}-{day:0>2}"
        if clock:
            iso += "T" + ("0" + clock if clock[1] == ":" else clock).replace(",", ".")
        return datetime.fromisoformat(iso)


@dataclass
class WidePlan:
    """How the columns of a wide file are read."""

    header_line: int
    width: int
    time: int | None = None  # taken_at, or the clock time when a date column goes with it
    date: int | None = None  # a date column read together with a separate time column
    elapsed: int | None = None  # elapsed seconds, used when the file gives no time
    numbers: tuple = ()  # (index, field, convert or None, label, fallback), best rank first
    texts: tuple = ()  # (index, field)
    pressures: tuple = ()  # (index, label) of "117/82" columns
    status: int | None = None  # the status column of this app's export



def plan_wide(header: list[str], line: int, out: Collector) -> WidePlan:
    """Map each header to a field, noting in the report the columns that are not imported."""
    where = f"line {line}"
    numbers, texts, pressures, times, status = [], [], [], {}, None
    for index, label in enumerate(header):
        label = label.strip()
        key, unit = header_key(label)
        column = HEADERS.get(key)
        if column is None:
            if key:
                out.skip(where, f"column '{label}' is {NOT_VITAL}")
        elif not column.field:
            if column.reason:
                out.skip(where, f"column '{label}': {column.reason}")
        elif column.field in TIME_FIELDS:
            times.setdefault(column.field, index)
        elif column.field == "bp":
            pressures.append((index, label))
        elif column.field == "status":
            status = index
        elif column.field in TEXT_FIELDS:
            texts.append((index, column.field))
        else:
            try:
                convert = converter(column.field, [unit or column.unit])
            except UnitError as error:
                out.reject(where, column.field, f"column '{label}': {error}")
                continue
            numbers.append((column.rank, index, column.field, convert, label))
    numbers.sort(key=lambda spec: spec[0])
    plan = WidePlan(line, len(header), numbers=with_fallbacks(numbers, where, out), texts=tuple(texts),
                    pressures=tuple(pressures), status=status)
    settle_time_columns(plan, times, line)
    return plan


def settle_time_columns(plan: WidePlan, times: dict[str, int], line: int) -> None:
    """taken_at wins; else "date" and "time" are read together, or whichever one there is."""
    if "taken_at" in times:
        plan.time = times["taken_at"]
    elif "date" in times and "time" in times:
        plan.time, plan.date = times["time"], times["date"]
    else:
        plan.time = times.get("date", times.get("time"))
    plan.elapsed = times.get("elapsed_s")
    if plan.time is None and plan.elapsed is None:
        raise malformed(f"line {line}: no time column (expected taken_at, timestamp, time, date or elapsed_s)")


def with_fallbacks(numbers: list, where: str, out: Collector) -> tuple:
    """(index, field, convert, label, fallback) by rank; a fallback fills its field only where a
    better column is empty (PULSE where HR has none), and the report says so.
    """
    first_for: dict[str, tuple[int, str]] = {}
    planned = []
    for _rank, index, field, convert, label in numbers:
        if field in first_for:
            out.skip(where, f"column '{label}' gives {field} only where '{first_for[field][1]}' has none")
        else:
            first_for[field] = (index, label)
        planned.append((index, field, convert, label, first_for[field][0] != index))
    return tuple(planned)


def read_wide(reader, plan: WidePlan, clock: Clock, out: Collector) -> None:
    """One reading per moment: rows with the same time are merged."""
    by_time = out.by_time
    for where, moment, values, date_only in wide_rows(reader, plan, clock, out):
        if moment in by_time:
            out.add_row(where, moment, values, date_only)
        else:
            by_time[moment] = Reading(where, moment, values, date_only)


def wide_rows(reader, plan: WidePlan, clock: Clock, out: Collector) -> Iterator[tuple]:
    """(where, time, values, date_only) of each row that gives a reading. Rows whose numbers are all
    plain measurements (every row of a typical 100,000-row export) are read by `PlainCells`; any
    other row goes cell by cell through `read_numbers`."""
    texts, pressures, width, status = plan.texts, plan.pressures, plan.width, plan.status
    plain = PlainCells(plan.numbers)
    one_time_column = plan.time is not None and plan.date is None
    for row in reader:
        if not row:
            continue
        where = f"line {reader.line_num}"
        if len(row) > width and any(text.strip() for text in row[width:]):
            raise malformed(f"{where}: {len(row)} cells, but the header on line {plan.header_line} has {width}")
        if status is not None and (state := cell(row, status).lower()) in NOT_CURRENT:
            out.skip(where, NOT_CURRENT[state])
            continue
        if reader.line_num == plan.header_line + 1 and is_units_row(row, plan):
            out.skip(where, "the units of the columns above, not a reading")
            continue
        values = plain.values(row) if len(row) == width else None
        if values is None:
            values = read_numbers(row, plan.numbers, where, out)
        if texts or pressures:
            read_texts(row, texts, pressures, values, where, out)
        if not values:
            if not rejected_here(out, where) and any(text.strip() for text in row):
                out.skip(where, "no vital-sign value in this row")
            continue
        found = None
        if one_time_column:
            try:
                found = clock.read(row[plan.time])
            except (ValueError, IndexError):  # row_time says what is wrong with it
                pass
        if found is None and (found := row_time(row, plan, clock, where, out)) is None:
            continue
        yield where, found[0], values, found[1]


class PlainCells:
    """The numbers of a row in one dictionary lookup per cell, when each cell's text has been seen
    before as a plain measurement of its column: above 0 (or 0 where 0 is real, O2 flow) and below
    a million, converted into the field's unit. A long export repeats a few hundred such texts.
    Fallback columns are not read: the best column of each field has a value in a plain row.
    """

    LIMIT = 100_000  # texts remembered per column: a file of all-different decimals stays bounded

    def __init__(self, numbers: tuple):
        best = [(index, field, convert) for index, field, convert, _label, fallback in numbers if not fallback]
        self.fields = [field for _, field, _ in best]
        self.columns = [(index, {}) for index, _, _ in best]
        self.kinds = [(field, convert, field not in ZERO_IS_NO_SIGNAL) for _, field, convert in best]

    def values(self, row: list) -> dict | None:
        """The row's values by field, or None when a cell is not a plain measurement."""
        try:
            return dict(zip(self.fields, [known[row[index]] for index, known in self.columns]))
        except KeyError:
            return self.learn(row)

    def learn(self, row: list) -> dict | None:
        values = {}
        for (index, known), (field, convert, zero_allowed) in zip(self.columns, self.kinds):
            text = row[index]
            value = known.get(text)
            if value is None:
                try:
                    value = float(text)
                except ValueError:  # empty, a decimal comma, text: read_numbers says what it is
                    return None
                if not (0 < value < 1e6 or value == 0 and zero_allowed):  # also NaN and infinity
                    return None
                value = convert(value) if convert else value
                if len(known) < self.LIMIT:
                    known[text] = value
            values[field] = value
        return values or None


UNIT_TEXT = re.compile(r"[\[(]?\s*[a-zA-Z%°/²][a-zA-Z0-9%°/.:²-]*\s*[\])]?")  # bpm, [mmHg], (hh:mm)


def is_units_row(row: list, plan: WidePlan) -> bool:
    """A row under the header giving each column's unit ("bpm", "[mmHg]", "%") and no time, as some
    monitors export it."""
    timed = [index for index in (plan.time, plan.date, plan.elapsed) if index is not None]
    if any(cell(row, index) and not UNIT_TEXT.fullmatch(cell(row, index)) for index in timed):
        return False
    units = [cell(row, index) for index, *_ in plan.numbers]
    return any(units) and all(UNIT_TEXT.fullmatch(unit) for unit in units if unit)


def read_numbers(row: list, numbers: tuple, where: str, out: Collector) -> dict:
    """A row's values cell by cell: empty cells, fallback columns, markers and rejections."""
    values = {}
    for index, field, convert, label, fallback in numbers:
        if fallback and field in values:
            continue
        try:
            text = row[index]
        except IndexError:
            continue
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            value = odd_number(text, field, where, out)
            if value is None:
                continue
        if not 0 < value < 1e6:  # not a plain measurement: 0, negative, a marker, NaN or missing
            value = unusual_value(value, field, label, where, out)
            if value is None:
                continue
        values[field] = convert(value) if convert else value
    return values


def rejected_here(out: Collector, where: str) -> bool:
    return bool(out.rejected) and out.rejected[-1]["where"] == where


def row_time(row: list, plan: WidePlan, clock: Clock, where: str, out: Collector) -> tuple | None:
    """(time in UTC, date_only) of a wide row, or None after rejecting it."""
    if plan.time is None:
        return elapsed_time(cell(row, plan.elapsed), where, out)
    text = cell(row, plan.time)
    if plan.date is not None:
        text = f"{cell(row, plan.date)} {text}".strip()
    return clock_time(text, clock, where, out)


def cell(row: list, index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def clock_time(text: str, clock: Clock, where: str, out: Collector) -> tuple | None:
    if not text:
        out.reject(where, "taken_at", "no time given")
        return None
    try:
        return clock.read(text)
    except OutOfRange as error:
        out.reject(where, "taken_at", str(error))
    except ValueError:
        out.reject(where, "taken_at", f"'{text}' is not a date and time (ISO 8601 or DD-MM-YYYY HH:MM:SS)")
    return None


def elapsed_time(text: str, where: str, out: Collector) -> tuple | None:
    """Elapsed seconds as a time counted from ORIGIN; the caller aligns it."""
    try:
        moment = ORIGIN + timedelta(seconds=float(text))
    except (ValueError, OverflowError):
        out.reject(where, "taken_at", f"'{text}' is not a number of seconds (up to year 9999)")
        return None
    out.relative_times = True
    return moment, False


def odd_number(text: str, field: str, where: str, out: Collector) -> float | None:
    """A cell that float() refused: a missing marker, a decimal comma, or a rejected value."""
    text = text.strip()
    if text.lower() in MISSING:
        return None
    if DECIMAL_COMMA.fullmatch(text):
        return float(text.replace(",", "."))
    out.reject(where, field, f"'{text}' is not a number")
    return None


def unusual_value(value: float | None, field: str, label: str, where: str, out: Collector) -> float | None:
    """A value outside the plain range: kept if real (O2 flow 0, a negative the caller refuses), else
    None after reporting a monitor's marker ("no signal" 0, -32768, 8388607) or rejecting infinity.
    """
    if value is None or value != value:  # missing, or NaN as spreadsheets write an empty cell
        return None
    if value in (float("inf"), float("-inf")):
        out.reject(where, field, f"{value} is not a finite number")
    elif value in NOT_A_VALUE:
        out.skip(where, f"{label}: {number_text(value)} is a monitor's 'no value' marker, not a measurement")
    elif not value and field in ZERO_IS_NO_SIGNAL:
        out.skip(where, f"{label}: 0 is the monitor's 'no signal', not a measurement")
    else:
        return value
    return None


def unguarded(text: str) -> str:
    """A note as written, without the quote a CSV export puts before a leading = + - or @ (so that a
    spreadsheet shows it as text instead of running it as a formula)."""
    return text[1:] if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS else text


def read_texts(row: list, texts: tuple, pressures: tuple, values: dict, where: str, out: Collector) -> None:
    """Consciousness and note as text; "117/82" blood-pressure cells as sbp and dbp."""
    for index, field in texts:
        text = cell(row, index)
        if text:
            values[field] = text.upper() if field == "consciousness" else unguarded(text)
    for index, label in pressures:
        text = cell(row, index)
        if not text or text.lower() in MISSING or "sbp" in values:
            continue
        match = BLOOD_PRESSURE.match(text)
        if match is None:
            out.reject(where, "sbp", f"column '{label}': '{text}' is not a blood pressure like 120/80")
        else:
            values["sbp"], values["dbp"] = float(match[1]), float(match[2])


def is_long_row(row: list[str], clock: Clock) -> bool:
    """A headerless long-layout row: a time, a parameter name, a value."""
    if len(row) not in (3, 4) or not row[1].strip() or is_number(row[1]):
        return False
    try:
        clock.read(row[0])
    except ValueError:
        return False
    return True


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def long_columns(header: list[str]) -> tuple | None:
    """(time, parameter, value, unit) indexes when the header names a long layout, else None."""
    keys = [header_key(name)[0] for name in header]

    def find(words: str) -> int | None:
        return next((i for i, key in enumerate(keys) if key in words.split()), None)

    time = next((i for i, key in enumerate(keys) if key in HEADERS and HEADERS[key].field in TIME_FIELDS), None)
    columns = (time, find(LONG_HEADERS["parameter"]), find(LONG_HEADERS["value"]), find(LONG_HEADERS["unit"]))
    return columns if None not in columns[:3] and columns[0] != columns[1] else None


def numbered(reader, first: list | None, line: int):
    """The rows with their line numbers, the already-read first row included."""
    if first is not None:
        yield line, first
    for row in reader:
        yield reader.line_num, row


def read_long(reader, first: list | None, columns: tuple, line: int, clock: Clock, out: Collector) -> None:
    """One value per row; rows with the same time make one reading."""
    times: dict[str, tuple | None] = {}
    meanings: dict[tuple, Meaning] = {}
    for line_number, row in numbered(reader, first, line):
        if not any(text.strip() for text in row):
            continue
        where = f"line {line_number}"
        stamp, name, text, unit = (cell(row, i) if i is not None else "" for i in columns)
        meaning = meanings.get((name, unit))
        if meaning is None:
            meaning = meanings[name, unit] = parameter_meaning(name, unit)
        if meaning.skip:
            out.skip(where, meaning.skip)
            continue
        value = read_value(text, meaning.field, name, where, out)
        if value is None:
            continue
        if meaning.unit_error:
            out.reject(where, meaning.field, f"{name}: {meaning.unit_error}")
            continue
        if stamp not in times:
            times[stamp] = clock_time(stamp, clock, where, out)
        elif times[stamp] is None:
            clock_time(stamp, clock, where, out)  # reject this row too
        moment = times[stamp]
        if moment is not None:
            value = meaning.convert(value) if meaning.convert else value
            out.add(where, moment[0], meaning.field, value, rank=meaning.rank, source=name, date_only=moment[1])


@dataclass(frozen=True)
class Meaning:
    """What one parameter name (with its unit) of the long layout gives."""

    field: str = ""
    rank: int = 0
    convert: Callable[[float], float] | None = None
    skip: str = ""  # why it is not imported
    unit_error: str = ""


def parameter_meaning(name: str, unit: str) -> Meaning:
    key, bracket_unit = header_key(name)
    column = HEADERS.get(key)
    if column is None or column.field in TIME_FIELDS or column.field in TEXT_FIELDS or column.field in ("bp", "status"):
        return Meaning(skip=f"{name} is {NOT_VITAL}")
    if not column.field:
        return Meaning(skip=f"{name}: {column.reason or NOT_VITAL}")
    try:
        return Meaning(column.field, column.rank, converter(column.field, [unit or bracket_unit or column.unit]))
    except UnitError as error:
        return Meaning(column.field, column.rank, unit_error=str(error))


def read_value(text: str, field: str, name: str, where: str, out: Collector) -> float | None:
    """A long-layout value, or None when it is missing, a marker, or rejected."""
    try:
        value = float(text)
    except ValueError:
        value = odd_number(text, field, where, out)
    return value if value is not None and 0 < value < 1e6 else unusual_value(value, field, name, where, out)
