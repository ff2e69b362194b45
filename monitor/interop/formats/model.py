"""What a parsed file gives the import: readings, and what was skipped or rejected and why.

Skipped items were deliberately left out (a column that is not a vital sign, a monitor's
"no signal" value, an entry recorded in error); rejected items held a value that could not be
read. The caller decides what to store: a rejected value blocks the import unless the user
asks to skip invalid values.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): the export
# quotes such a cell with ', and the CSV import takes the quote off again.
FORMULA_STARTS = tuple("=+-@\t\r")

# How a count of skipped items is named, by the first word of their `where`.
PLURALS = {"line": "lines", "entry": "entries", "OBX": "OBX segments", "OBR": "OBX segments",
           "message": "OBX segments", "segment": "segments"}


@dataclass(slots=True)
class Reading:
    """One vitals record: every value the file gives for one moment."""

    where: str  # the first row that contributed: "line 12", "entry 4", "OBX 9"
    taken_at: datetime  # timezone-aware, UTC
    values: dict  # vitals API fields: hr, sbp, dbp, spo2, rr, temp_c, etco2, o2_lpm (CSV also pain, moaas, ...)
    date_only: bool = False  # the file gave a date without a time: taken at 00:00 in the clinic's zone


@dataclass
class ParsedFile:
    """Everything one file holds, in the vocabulary of the vitals API."""

    format: str  # "csv" | "hl7" | "fhir"
    readings: list[Reading] = field(default_factory=list)  # ordered by taken_at
    skipped: list[dict] = field(default_factory=list)  # {"where", "reason"}, one per reason, with a count
    rejected: list[dict] = field(default_factory=list)  # {"where", "field", "message"}, one per value
    # The file gave only elapsed seconds: times count from 1970-01-01T00:00Z and must be aligned
    # (`align_start`) before they mean anything.
    relative_times: bool = False
    # Outcome measures (FHIR QuestionnaireResponses of PHQ-9, GAD-7, PCL-5, MADRS): {"where", "instrument",
    # "items", "at"}, stored as assessments, their totals computed again by the server.
    scores: list[dict] = field(default_factory=list)


class SkipLog:
    """Skip reasons, each listed once with where it first happened and how often.

    A 100,000-row export with a column of "no signal" zeros is one line of the report, not
    100,000.
    """

    def __init__(self):
        self._seen: dict[str, list] = {}

    def add(self, where: str, reason: str) -> None:
        seen = self._seen.get(reason)
        if seen is None:
            self._seen[reason] = [where, 1]
        else:
            seen[1] += 1

    def as_list(self) -> list[dict]:
        return [{"where": where, "reason": reason if count == 1 else f"{reason} ({count} {plural(where)})"}
                for reason, (where, count) in self._seen.items()]


def plural(where: str) -> str:
    noun = where.split(" ", 1)[0]
    return PLURALS.get(noun, "times")


class Collector:
    """Gathers values into one Reading per moment, and notes what was skipped or rejected.

    When two rows give the same field for the same moment, the better-ranked source wins (an
    ECG heart rate over a pulse oximeter's); between equals the first one stays.
    """

    def __init__(self, format: str):
        self.format = format
        self.skips = SkipLog()
        self.rejected: list[dict] = []
        self.relative_times = False
        self.scores: list[dict] = []
        self.by_time: dict[datetime, Reading] = {}  # the CSV fast path adds new moments directly
        self._sources: dict[tuple[datetime, str], tuple[int, str, str]] = {}

    def skip(self, where: str, reason: str) -> None:
        self.skips.add(where, reason)

    def reject(self, where: str, field: str, message: str) -> None:
        self.rejected.append({"where": where, "field": field, "message": message})

    def add_row(self, where: str, taken_at: datetime, values: dict, date_only: bool = False) -> None:
        """A whole row of values for one moment (the CSV fast path)."""
        reading = self.by_time.get(taken_at)
        if reading is None:
            self.by_time[taken_at] = Reading(where, taken_at, values, date_only)
            return
        reading.date_only = reading.date_only or date_only
        for name, value in values.items():
            self._merge(reading, name, value, where, 0, where)

    def add(self, where: str, taken_at: datetime, name: str, value, *, rank: int = 0, source: str = "",
            date_only: bool = False) -> None:
        """One value; `source` names it in the report if another source wins."""
        reading = self.by_time.get(taken_at)
        if reading is None:
            reading = self.by_time[taken_at] = Reading(where, taken_at, {}, date_only)
        reading.date_only = reading.date_only or date_only
        self._merge(reading, name, value, where, rank, source or where)

    def _merge(self, reading: Reading, name: str, value, where: str, rank: int, source: str) -> None:
        key = (reading.taken_at, name)
        if name not in reading.values:
            reading.values[name] = value
            self._sources[key] = (rank, where, source)
            return
        old_rank, old_where, old_source = self._sources.get(key, (0, reading.where, reading.where))
        old_value = reading.values[name]
        if rank < old_rank:
            reading.values[name] = value
            self._sources[key] = (rank, where, source)
            self.skip(old_where, f"{name} from {old_source} not used: {source} gives it for the same time")
        elif rank > old_rank:
            self.skip(where, f"{name} from {source} not used: {old_source} gives it for the same time")
        elif value != old_value:
            self.skip(where, f"{name} {number_text(value)} not used: {old_where} gives {number_text(old_value)} "
                             "for the same time")

    def result(self) -> ParsedFile:
        readings = sorted(self.by_time.values(), key=lambda reading: reading.taken_at)
        return ParsedFile(self.format, readings, self.skips.as_list(), self.rejected, self.relative_times,
                          scores=self.scores)


def number_text(value) -> str:
    """A value as the report shows it: 8388607, not 8.38861e+06 or 8388607.0; 36.5 as 36.5."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


class OutOfRange(ValueError):
    """A time a date cannot hold once its offset is applied (0001-01-01T00:00:00+14:00 is in year 0)."""

    def __init__(self, text: str):
        super().__init__(f"'{text}' falls outside the years 1 to 9999 once its offset is applied")


def to_utc(moment: datetime, zone: tzinfo, text: str | None = None) -> datetime:
    """A time without an offset is taken in the clinic's zone; OutOfRange (naming `text`, or the time)
    when UTC cannot hold it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise OutOfRange(text or moment.isoformat()) from None


def complete(parsed: ParsedFile) -> ParsedFile:
    """A file read to its end: one that gave nothing at all says so."""
    if not (parsed.readings or parsed.skipped or parsed.rejected or parsed.scores):
        parsed.skipped.append({"where": "line 1", "reason": "the file holds no vital-sign values"})
    return parsed


def empty(format: str, where: str, reason: str) -> ParsedFile:
    """A file that holds nothing to import, and why."""
    return ParsedFile(format, skipped=[{"where": where, "reason": reason}])


def parse_xml(data: bytes, malformed: Callable[[str], Exception]):
    """The root element of an uploaded XML file, read without entities or network access."""
    from lxml import etree  # here, not at the top: a CSV import does not pay for loading lxml

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as error:
        raise malformed(f"line {error.lineno}: {error.msg}") from None
