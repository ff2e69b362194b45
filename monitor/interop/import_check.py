"""Checking an import: every reading of a parsed file through the three validation tiers.

Pure, no database. Times are moved by `align_start` and refused when in the future; each
reading passes the same tiers as manual entry (CLINICAL.md §2); the `Plan` says what would be
stored, what is rejected or unusual and why, and `report` words it as CONTRACT.md §2's import
report.
"""
from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from hashlib import blake2b

from ..errors import ApiError, NeedsConfirmation, ValidationFailed
from ..record.entries import Session
from ..rules import validation
from ..timeutil import CLOCK_SKEW, EARLIEST, iso
from .formats import ParsedFile

SOURCES = {"csv": "import:csv", "hl7": "import:hl7", "fhir": "import:fhir",
           "course": "import:csv"}  # a course CSV stores no vitals, only outcome measures
MEASURES = validation.MEASURE_FIELDS
PREVIEW_ROWS = 100  # readings a dry run shows
LISTED = 1000  # rejected or unusual values listed in a report; the count says how many in all
EXAMPLES = 20  # date-only readings named in a report
PROGRESS_EVERY = 1000  # readings checked between two progress calls (each lets the server serve others)

# progress(stage, done, total): stage is "reading", "checking" or "storing".
Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True)
class Options:
    """What the person importing asked for."""

    format: str | None = None  # None: detect from the content
    dry_run: bool = False
    skip_invalid: bool = False
    confirm: bool = False
    align_start: datetime | None = None  # aware: the first reading is moved to this time


@dataclass(slots=True)
class Checked:
    """A reading that passed the validation tiers, ready to store."""

    where: str
    taken_at: datetime  # aligned, UTC, to the millisecond as stored
    values: dict  # normalized measures
    note: str | None
    key: str  # the import key: the same reading of the same file gives the same key
    date_only: bool
    unusual: bool  # stored only with confirm


@dataclass
class Plan:
    """What an import would store, and what it leaves out and why."""

    parsed: ParsedFile
    source: str
    checked: list[Checked] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)  # the parser's and the validation tiers'
    unusual: list[dict] = field(default_factory=list)  # values that need confirm
    refused_readings: list[tuple[str, datetime, dict, str]] = field(default_factory=list)  # for the preview
    shift: timedelta | None = None


def check(parsed: ParsedFile, *, now: datetime, session: Session, options: Options,
          progress: Progress = no_progress) -> Plan:
    """Align, refuse times the session cannot hold and put every other reading through the three tiers
    of manual entry (`validation.check_vitals`). The plan's rejections: the parser's first, then the
    tiers', then one for each kind of time refused (in the future, before the patient's birth or 1900,
    after the discharge)."""
    if parsed.relative_times and options.align_start is None:
        raise ValidationFailed("The file gives only elapsed times: set align_start to the time of its first "
                               "reading", {"align_start": "is required: the file gives only elapsed times"})
    plan, readings = Plan(parsed, SOURCES[parsed.format], rejected=list(parsed.rejected)), parsed.readings
    if options.align_start is not None and readings:
        plan.shift = options.align_start - readings[0].taken_at
    latest, refused = now + CLOCK_SKEW, {kind: [] for kind in REFUSED_TIMES}
    for index, reading in enumerate(readings):
        if index % PROGRESS_EVERY == 0:
            progress("checking", index, len(readings))
        taken_at = moved(reading.taken_at, plan.shift)
        if taken_at is None:  # aligning took it past year 9999 or before year 1
            refused["future" if plan.shift > timedelta(0) else "early"].append((reading, reading.taken_at))
        elif taken_at > latest:
            refused["future"].append((reading, taken_at))
        elif taken_at < session.earliest:
            refused["early"].append((reading, taken_at))
        elif session.discharged_at is not None and taken_at >= session.discharged_at:
            refused["discharged"].append((reading, taken_at))
        elif (item := check_one(plan, reading, taken_at)) is not None:
            plan.checked.append(item)
    progress("checking", len(readings), len(readings))
    for kind, found in refused.items():
        if found:
            plan.rejected.append(refused_times(kind, found, plan.shift is not None, session))
            plan.refused_readings.extend((r.where, t, r.values, REFUSED_TIMES[kind]) for r, t in found[:PREVIEW_ROWS])
    return plan


REFUSED_TIMES = {"future": "in the future", "early": "before the patient's birth date or 1900",
                 "discharged": "after the discharge"}


def moved(moment: datetime, shift: timedelta | None) -> datetime | None:
    """A reading's time, aligned and to the millisecond as it is stored; None when aligning takes it
    outside what a date can hold (before year 1 or after 9999)."""
    if shift:
        try:
            moment = moment + shift
        except OverflowError:
            return None
    return to_millisecond(moment) if moment.microsecond % 1000 else moment


def check_one(plan: Plan, reading, taken_at: datetime) -> Checked | None:
    """One reading through the tiers: kept, kept as unusual, or rejected (None) with each field named."""
    values, note = split_note(reading.values)
    values = whole_numbers(values)
    unusual = {}
    try:
        try:
            measures = validation.check_vitals(values)
        except NeedsConfirmation as needs:
            measures, unusual = validation.check_vitals(values, confirm=True), needs.fields
    except ApiError as error:
        plan.rejected.extend({"where": reading.where, "field": name, "message": message}
                             for name, message in (error.fields or {"vitals": error.message}).items())
        plan.refused_readings.append((reading.where, taken_at, reading.values, error.message))
        return None
    if unusual:
        plan.unusual.extend({"where": reading.where, "field": name, "message": message}
                            for name, message in unusual.items())
    return Checked(reading.where, taken_at, measures, note, import_key(plan.source, reading), reading.date_only,
                   bool(unusual))


def split_note(values: dict) -> tuple[dict, str | None]:
    """The measures and the note of a reading (a CSV may carry a note column)."""
    if "note" not in values:
        return values, None
    measures = dict(values)
    note = measures.pop("note")
    return measures, note if isinstance(note, str) and note.strip() else None


INTEGERS = tuple(name for name, bounds in validation.BOUNDS.items() if bounds.kind == "integer")


def whole_numbers(values: dict) -> dict:
    """Integer fields (pain, MOAA/S) arrive from files as 3.0: the tiers want the whole number 3."""
    found = [name for name in INTEGERS if isinstance(values.get(name), float) and values[name].is_integer()]
    return values | {name: int(values[name]) for name in found} if found else values


def to_millisecond(moment: datetime) -> datetime:
    """The time as it is stored: to the millisecond."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def import_key(source: str, reading) -> str:
    """A fingerprint of the reading as the file gives it (its own time, before alignment): importing the
    same file again, aligned or not, finds every reading already there. Numbers are hashed as their
    8 bytes, text values by their repr."""
    values = reading.values
    try:
        packed = DOUBLES[len(values)](*values.values())
    except (struct.error, IndexError):  # a text value (ACVPU, a note); more values than DOUBLES packs
        packed = repr(values).encode()
    head = f"{source}|{reading.taken_at.timestamp()!r}|{'|'.join(values)}|".encode()
    return blake2b(head + packed, digest_size=8).hexdigest()


DOUBLES = [struct.Struct(f"{count}d").pack for count in range(len(MEASURES) + 2)]  # by how many values


def refused_times(kind: str, found: list, aligned: bool, session: Session) -> dict:
    """One rejection for all the readings whose time the session cannot hold, saying what to do about it."""
    first_where, first_time = found[0][0].where, found[0][1]
    count = f"{len(found)} readings" if len(found) > 1 else "1 reading"
    if kind == "discharged":
        message = (f"{count} from {iso(first_time)} on are after the patient's discharge at "
                   f"{iso(session.discharged_at)}: only what happened before it can be added")
    elif kind == "early":
        before = "1900" if session.earliest == EARLIEST else f"the patient's birth ({iso(session.earliest)})"
        message = (f"{count} from {iso(first_time)} on are before {before}: check the file's dates"
                   + (" or choose another align_start" if aligned else ""))
    elif aligned:
        message = (f"{count} from {iso(first_time)} on would be in the future after aligning the first reading "
                   "to align_start: choose an earlier align_start")
    else:
        message = (f"{count} from {iso(first_time)} on are in the future: a de-identified file (dates shifted, "
                   "as MIMIC's) must be imported with align_start, the time its first reading was taken")
    return {"where": first_where, "field": "taken_at", "message": message}


# Refusing

def refusal(plan: Plan, options: Options) -> ApiError | None:
    """What a real import of this plan would answer instead of storing, or None."""
    if plan.rejected and not options.skip_invalid:
        return ValidationFailed(summary("rejected", plan.rejected), problem_fields(plan.rejected))
    if plan.unusual and not options.confirm:
        return NeedsConfirmation(summary("unusual", plan.unusual), problem_fields(plan.unusual))
    return None


def summary(kind: str, problems: list[dict]) -> str:
    """The error's message: what blocked the import, the first few named."""
    first = "; ".join(f"{p['where']}: {p['message']}" for p in problems[:3])
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    verdict = "Nothing was imported" if kind == "rejected" else "Nothing was imported yet: unusual values need confirm"
    return f"{verdict}: {first}{more}"


def problem_fields(problems: list[dict], limit: int = 50) -> dict[str, str]:
    """The error's `fields`: "line 12.hr" -> message, for the first `limit` problems."""
    return {f"{p['where']}.{p['field']}": p["message"] for p in problems[:limit]}


def new_checked(plan: Plan, known: set[str]) -> list[Checked]:
    """The checked readings not already in the session (by import key)."""
    return [c for c in plan.checked if c.key not in known]


def describe_refusal(cause: ApiError | None) -> dict | None:
    return None if cause is None else cause.to_json()["error"]


# The report

def report(plan: Plan, new: list[Checked], options: Options, stored: bool = True) -> dict:
    """The contract's report, with what it adds: unusual values, date-only times, the alignment.

    `new` is what the import stores (a dry run: would store); a refused import stored nothing.
    """
    parsed = plan.parsed
    duplicates = len(plan.checked) - len(new)
    new = new if stored else []
    date_only = [c for c in new if c.date_only]
    return {
        "format": parsed.format,
        "source": plan.source,
        "imported": len(new),
        "duplicates": duplicates,
        "first_taken_at": iso(new[0].taken_at) if new else None,
        "last_taken_at": iso(new[-1].taken_at) if new else None,
        "skipped": parsed.skipped,
        "rejected": plan.rejected[:LISTED],
        "rejected_count": len(plan.rejected),
        "unusual": plan.unusual[:LISTED],
        "unusual_count": len(plan.unusual),
        "date_only": {"count": len(date_only), "message": "the file gives only a date: taken as 00:00 clinic time",
                      "where": [c.where for c in date_only[:EXAMPLES]]} if date_only else None,
        "align_start": iso(options.align_start) if options.align_start and plan.shift is not None else None,
        "dry_run": options.dry_run,
    }


def preview(plan: Plan, known: set[str]) -> list[dict]:
    """The first readings as a dry run shows them, each marked new, duplicate, unusual or refused."""
    rows = [{"where": c.where, "taken_at": iso(c.taken_at), "values": c.values | ({"note": c.note} if c.note else {}),
             "status": "duplicate" if c.key in known else ("unusual" if c.unusual else "new"), "problem": None}
            for c in plan.checked[:PREVIEW_ROWS]]
    rows += [{"where": where, "taken_at": iso(taken_at), "values": values, "status": "refused", "problem": problem}
             for where, taken_at, values, problem in plan.refused_readings[:PREVIEW_ROWS]]
    return sorted(rows, key=lambda row: row["taken_at"])[:PREVIEW_ROWS]
