"""Checking an import: every reading of a parsed file through the three validation tiers.

Pure, no database. Times are moved by `align_start` and refused when in the future; each
reading passes the same tiers as manual entry (CLINICAL.md §2); the `Plan` says what would be
stored, what is rejected or unusual and why, and `report` words it as CONTRACT.md §2's import
report. A monitor's export can hold 100,000 readings, so validation remembers each plain
(field, value) verdict and the common reading is checked with one lookup per value.
"""
from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from hashlib import blake2b

from ..errors import ApiError, NeedsConfirmation, ValidationFailed
from ..rules import validation
from ..timeutil import CLOCK_SKEW, iso
from .formats import ParsedFile

SOURCES = {"csv": "import:csv", "hl7": "import:hl7", "fhir": "import:fhir"}
MEASURES = validation.MEASURE_FIELDS
PREVIEW_ROWS = 100  # readings a dry run shows
LISTED = 1000  # rejected or unusual values listed in a report; the count says how many in all
EXAMPLES = 20  # date-only readings named in a report
PROGRESS_EVERY = 5000  # readings checked between two progress calls

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


@dataclass
class Outcome:
    """What an import came to: its report, why it was refused (error class name, message, fields) or
    None, the newest record stored (for the alert rules) and how many records were stored."""

    report: dict
    refused: tuple[str, str, dict] | None
    newest: dict | None
    stored: int


class Check:
    """The tiers over a file's readings, a chunk at a time, in the file's time order.

    `check` runs it over the whole file before anything is stored; a long import checked in a
    second process (`import_worker`) hands each chunk on to be stored as soon as it has passed,
    sometimes while the file is still being read: `parsed.readings` and `parsed.rejected` may
    still grow, so the alignment is taken from the first reading checked and the parser's
    rejections join the plan's in `finish`.
    """

    def __init__(self, parsed: ParsedFile, *, now: datetime, options: Options):
        self.parsed, self.options = parsed, options
        self.plan = Plan(parsed, SOURCES[parsed.format])  # its rejected: the tiers' until `finish`
        if parsed.relative_times and options.align_start is None:
            raise ValidationFailed("The file gives only elapsed times: set align_start to the time of its first "
                                   "reading", {"align_start": "is required: the file gives only elapsed times"})
        self.checker, self.latest, self.future = Checker(), now + CLOCK_SKEW, []
        self.started = False

    def chunk(self, readings: list) -> list[Checked]:
        """Check the next readings of the file; returns those that passed (also added to the plan)."""
        plan, checker, latest, future = self.plan, self.checker, self.latest, self.future
        if readings and not self.started:
            self.started = True
            if self.options.align_start is not None:
                plan.shift = self.options.align_start - readings[0].taken_at
        plain, source, shift, passed = checker.plain, plan.source, plan.shift, []
        add, key_of = passed.append, import_key
        for reading in readings:
            taken_at = reading.taken_at + shift if shift else reading.taken_at
            if taken_at.microsecond % 1000:
                taken_at = to_millisecond(taken_at)
            if taken_at > latest:
                future.append((reading, taken_at))
                continue
            # The common case inline (a long file's every row): each value already known to pass on its own.
            try:
                measures = {name: plain[name][value] for name, value in reading.values.items()}
            except (KeyError, TypeError):
                measures = None
            if measures and None not in measures.values() and (
                    "dbp" not in measures or "sbp" not in measures or measures["dbp"] < measures["sbp"]):
                add(Checked(reading.where, taken_at, measures, None, key_of(source, reading), reading.date_only,
                            False))
            elif (item := check_one(plan, checker, reading, taken_at)) is not None:
                add(item)
        plan.checked.extend(passed)
        return passed

    @property
    def refused(self) -> bool:
        """Whether what has been read and checked so far already refuses the import."""
        plan, options = self.plan, self.options
        return bool((self.parsed.rejected or plan.rejected or self.future) and not options.skip_invalid
                    or plan.unusual and not options.confirm)

    def finish(self, parsed: ParsedFile | None = None) -> Plan:
        """The plan once every reading has been checked (`parsed`: the file as read in the end, when it
        was checked while being read): the parser's rejections first, then the tiers', then one for
        every reading in the future."""
        plan, future = self.plan, self.future
        if parsed is not None:
            self.parsed = plan.parsed = parsed
        plan.rejected[:0] = self.parsed.rejected
        if future:
            plan.rejected.append(future_times(future, plan.shift is not None))
            plan.refused_readings.extend((r.where, t, r.values, "in the future") for r, t in future[:PREVIEW_ROWS])
            future.clear()
        return plan


def check(parsed: ParsedFile, *, now: datetime, options: Options, progress: Progress = no_progress) -> Plan:
    """Align, refuse future times and apply the three tiers to every reading."""
    checking, readings = Check(parsed, now=now, options=options), parsed.readings
    for start in range(0, len(readings), PROGRESS_EVERY):
        checking.chunk(readings[start:start + PROGRESS_EVERY])
        progress("checking", min(start + PROGRESS_EVERY, len(readings)), len(readings))
    progress("checking", len(readings), len(readings))
    return checking.finish()


def check_one(plan: Plan, checker: Checker, reading, taken_at: datetime) -> Checked | None:
    """One reading through the tiers: kept, kept as unusual, or rejected (None) with each field named."""
    values, note = split_note(reading.values)
    try:
        measures, unusual = checker.check(values)
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


def to_millisecond(moment: datetime) -> datetime:
    """The time as it is stored: to the millisecond."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def import_key(source: str, reading) -> str:
    """A fingerprint of the reading as the file gives it (its own time, before alignment): importing the
    same file again, aligned or not, finds every reading already there. Numbers are hashed as their
    8 bytes (formatting 100,000 rows of floats as text costs more than the hash)."""
    values = reading.values
    try:
        packed = DOUBLES[len(values)](*values.values())
    except (struct.error, IndexError):  # a text value (ACVPU, a note); more values than DOUBLES packs
        packed = repr(values).encode()
    head = f"{source}|{reading.taken_at.timestamp()!r}|{'|'.join(values)}|".encode()
    return blake2b(head + packed, digest_size=8).hexdigest()


DOUBLES = [struct.Struct(f"{count}d").pack for count in range(len(MEASURES) + 2)]  # by how many values


def future_times(future: list, aligned: bool) -> dict:
    """One rejection for every reading in the future, saying what to do about it."""
    first_where, first_time = future[0][0].where, future[0][1]
    count = f"{len(future)} readings" if len(future) > 1 else "1 reading"
    if aligned:
        message = (f"{count} from {iso(first_time)} on would be in the future after aligning the first reading "
                   "to align_start: choose an earlier align_start")
    else:
        message = (f"{count} from {iso(first_time)} on are in the future: a de-identified file (dates shifted, "
                   "as MIMIC's) must be imported with align_start, the time its first reading was taken")
    return {"where": first_where, "field": "taken_at", "message": message}


class Checker:
    """`validation.check_vitals`, remembering every (field, value) that passes on its own.

    A record passes the tiers without confirmation exactly when each of its values does and its
    diastolic is below its systolic (the one rule across fields). Long files repeat their values,
    so most readings are checked with one dictionary lookup per value (`check`, and inline in
    `imports.check`); any other reading goes through check_vitals itself, which also words the answer.
    """

    def __init__(self):
        self.plain: dict[str, dict] = {name: {} for name in MEASURES}

    def check(self, values: dict) -> tuple[dict, dict]:
        """(normalized measures, unusual values by field); raises the tier's error for a refused reading."""
        plain = self.plain
        try:
            measures = {name: plain[name][value] for name, value in values.items()}
        except (KeyError, TypeError):
            measures = None
        if measures and None not in measures.values() and (
                "dbp" not in measures or "sbp" not in measures or measures["dbp"] < measures["sbp"]):
            return measures, {}
        return self.check_fully(values)

    def check_fully(self, values: dict) -> tuple[dict, dict]:
        values = {name: whole(name, value) for name, value in values.items()}
        self.learn(values)
        try:
            measures = validation.check_vitals(values)
            unusual = {}
        except NeedsConfirmation as needs:
            measures, unusual = validation.check_vitals(values, confirm=True), needs.fields
        return measures, unusual

    def learn(self, values: dict) -> None:
        for name, value in values.items():
            known = self.plain.get(name)
            if known is None or value in known:
                continue
            try:
                known[value] = validation.check_vitals({name: value})[name]
            except ApiError:
                known[value] = None


def whole(name: str, value):
    """Integer fields (pain, MOAA/S) arrive from files as 3.0: the tiers want the whole number 3."""
    bounds = validation.BOUNDS.get(name)
    if bounds and bounds.kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


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
