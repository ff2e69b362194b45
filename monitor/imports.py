"""Importing a file of vitals into a session: the import report of CONTRACT.md §2.

The parsers (`importers`) read a file into readings; this module decides what is stored.
Times are moved by `align_start` and refused when in the future; every reading passes the
same three validation tiers as manual entry; readings imported before are counted as
duplicates; the rest is stored in ONE transaction with one audit entry and `vitals.batch`
events of up to 500 records. A file with a rejected value stores nothing unless
`skip_invalid`; unusual values need `confirm`; `dry_run` answers the report and stores nothing.

A monitor's export can hold 100,000 readings, so the storing half works in bulk with the
same results as one-by-one entry: validation remembers each plain (field, value) verdict,
NEWS2 is computed over the sorted readings with the 30-minute window `vitals.news2_for`
queries, and the rows go in with executemany.
"""
from __future__ import annotations

import gc
import hashlib
import json
import struct
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from hashlib import blake2b

from . import events, news2, sessions, validation, vitals
from .db import Store, Transaction
from .errors import ApiError, BadRequest, NeedsConfirmation, ValidationFailed
from .importers import ParsedFile, parse
from .timeutil import CLOCK_SKEW, LATE_AFTER, iso

SOURCES = {"csv": "import:csv", "hl7": "import:hl7", "fhir": "import:fhir"}
MEASURES = validation.MEASURE_FIELDS
SBP, DBP = MEASURES.index("sbp"), MEASURES.index("dbp")
NEWS2_INPUTS = vitals.NEWS2_INPUTS
PREVIEW_ROWS = 100  # readings a dry run shows
LISTED = 1000  # rejected or unusual values listed in a report; the count says how many in all
EXAMPLES = 20  # date-only readings named in a report
PROGRESS_EVERY = 5000  # readings checked between two progress calls
COLUMNS = ("session_id", "taken_at") + MEASURES + (
    "map", "news2", "note", "source", "entered_at", "entered_by", "late", "seq", "import_key")
INSERT = f"INSERT INTO vitals ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"

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


class ImportRefused(ApiError):
    """An import refused as a whole; the answer carries the report that says why."""

    def __init__(self, cause: ApiError, report: dict):
        super().__init__(cause.message, cause.fields)
        self.status, self.code, self.report = cause.status, cause.code, report

    def to_json(self) -> dict:
        return super().to_json() | {"report": self.report}


# The service

def run(store: Store, session_id: int, data: bytes, *, actor, zone: tzinfo, options: Options = Options(),
        progress: Progress = no_progress) -> dict:
    """Import one file into a session and return the report; a dry run stores nothing."""
    with collector_paused():
        return run_import(store, session_id, data, actor=actor, zone=zone, options=options, progress=progress)


@contextmanager
def collector_paused():
    """Pause Python's cycle collector: a long file builds several objects per reading that all stay
    alive and hold no cycles, and the collector would walk them again and again (a fifth of the time).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_import(store: Store, session_id: int, data: bytes, *, actor, zone: tzinfo, options: Options,
               progress: Progress) -> dict:
    sessions.require_writable(store.db, session_id)
    progress("reading", 0, len(data))
    parsed = parse(data, format=options.format, tz=zone)
    progress("reading", len(data), len(data))
    plan = check(parsed, now=store.now(), options=options, progress=progress)
    known = existing_keys(store.db, session_id)
    if options.dry_run:
        return report(plan, [c for c in plan.checked if c.key not in known], options) | {
            "preview": preview(plan, known), "refused": describe_refusal(refusal(plan, options))}
    cause = refusal(plan, options)
    if cause is not None:
        raise ImportRefused(cause, report(plan, [c for c in plan.checked if c.key not in known], options,
                                          stored=False))
    with store.write(actor) as tx:
        sessions.require_writable(tx.db, session_id)
        known = existing_keys(tx.db, session_id)
        new = [c for c in plan.checked if c.key not in known]
        answer = report(plan, new, options)
        if new:
            records = store_readings(tx, session_id, new, plan.source, progress)
            tx.audit("vitals.import", "session", session_id, session_id=session_id,
                     after=audit_summary(answer, records, data))
            evaluate_alerts(tx, session_id, records[-1:])
    return answer


def check(parsed: ParsedFile, *, now: datetime, options: Options, progress: Progress = no_progress) -> Plan:
    """Align, refuse future times and apply the three tiers to every reading (pure: no database)."""
    plan = Plan(parsed, SOURCES[parsed.format], rejected=list(parsed.rejected))
    readings = parsed.readings
    if parsed.relative_times and options.align_start is None:
        raise ValidationFailed("The file gives only elapsed times: set align_start to the time of its first "
                               "reading", {"align_start": "is required: the file gives only elapsed times"})
    if readings and options.align_start is not None:
        plan.shift = options.align_start - readings[0].taken_at
    checker, latest, future, shift = Checker(), now + CLOCK_SKEW, [], plan.shift
    plain, checked, source, total = checker.plain, plan.checked, plan.source, len(readings)
    add, key_of = checked.append, import_key
    for start in range(0, total, PROGRESS_EVERY):
        for reading in readings[start:start + PROGRESS_EVERY]:
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
            else:
                check_one(plan, checker, reading, taken_at)
        progress("checking", min(start + PROGRESS_EVERY, total), total)
    progress("checking", total, total)
    if future:
        plan.rejected.append(future_times(future, plan.shift is not None))
        plan.refused_readings.extend((r.where, t, r.values, "in the future") for r, t in future[:PREVIEW_ROWS])
    return plan


def check_one(plan: Plan, checker: Checker, reading, taken_at: datetime) -> None:
    """One reading through the tiers: kept, kept as unusual, or rejected with each field named."""
    values, note = split_note(reading.values)
    try:
        measures, unusual = checker.check(values)
    except ApiError as error:
        plan.rejected.extend({"where": reading.where, "field": name, "message": message}
                             for name, message in (error.fields or {"vitals": error.message}).items())
        plan.refused_readings.append((reading.where, taken_at, reading.values, error.message))
        return
    if unusual:
        plan.unusual.extend({"where": reading.where, "field": name, "message": message}
                            for name, message in unusual.items())
    plan.checked.append(Checked(reading.where, taken_at, measures, note, import_key(plan.source, reading),
                                reading.date_only, bool(unusual)))


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


def stamp(moment: datetime) -> str:
    """`timeutil.iso` of an aware UTC time already to the millisecond, at a fifth of its cost (a long
    import formats 100,000): isoformat() without a timespec is the fastest of datetime's formats."""
    text = moment.isoformat()  # 2026-11-23T10:04:15.123000+00:00, or without .123000
    return text[:23] + "Z" if moment.microsecond else text[:19] + ".000Z"


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


def audit_summary(answer: dict, records: list[dict], data: bytes) -> dict:
    """What the audit entry keeps of an import: the counts, the ids and the file's fingerprint, not the rows."""
    return {
        "format": answer["format"], "source": answer["source"], "imported": answer["imported"],
        "duplicates": answer["duplicates"], "first_taken_at": answer["first_taken_at"],
        "last_taken_at": answer["last_taken_at"], "first_id": records[0]["id"], "last_id": records[-1]["id"],
        "skipped": len(answer["skipped"]), "rejected": answer["rejected_count"], "align_start": answer["align_start"],
        "file": {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()},
    }


# Storing

def existing_keys(db, session_id: int) -> set[str]:
    """The import keys already stored in the session (read through the unique index)."""
    cursor = db.execute("SELECT import_key FROM vitals INDEXED BY vitals_import WHERE session_id = ?"
                        " AND import_key IS NOT NULL", (session_id,))
    return {row[0] for row in cursor}


def store_readings(tx: Transaction, session_id: int, new: list[Checked], source: str,
                   progress: Progress = no_progress) -> list[dict]:
    """Insert the readings in batches of 500, each batch followed by its `vitals.batch` event."""
    scores = news2_scores(tx.db, session_id, new)
    stored: list[dict] = []
    for start in range(0, len(new), events.BATCH_SIZE):
        batch = new[start:start + events.BATCH_SIZE]
        rows, records = batch_rows(tx, session_id, batch, scores[start:start + len(batch)], source)
        tx.db.conn.executemany(INSERT, rows)
        envelope = tx.event("vitals.batch", session_id, {"records": records, "source": source,
                                                          "imported": len(new), "batch_start": start})
        assert envelope["seq"] == records[0]["seq"]
        stored.extend(records)
        progress("storing", start + len(batch), len(new))
    last_id = tx.execute("SELECT MAX(id) FROM vitals").fetchone()[0]
    assert last_id == stored[-1]["id"], "vitals ids were not consecutive inside the write transaction"
    return stored


def batch_rows(tx: Transaction, session_id: int, batch: list[Checked], scores: list, source: str):
    """The rows to insert, and the records as `vitals.get` would show them (without their empty fields),
    built without reading anything back.

    The ids are known before the insert: the writer holds the database, and SQLite gives each new
    row the largest id plus one; the seq is the one the batch's event will get.
    """
    seq = events.next_seq(tx.db)
    first_id = tx.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM vitals").fetchone()[0]
    entered_at, entered_by, username = iso(tx.now), tx.actor.user_id, tx.actor.username
    late_before, mean_of = tx.now - LATE_AFTER, vitals.mean_arterial_pressure
    common = {"source": source, "entered_at": entered_at, "entered_by": username, "seq": seq, "status": "current"}
    rows, records = [], []
    for vitals_id, item, (score, score_text) in zip(range(first_id, first_id + len(batch)), batch, scores):
        values = item.values
        measures = tuple(map(values.get, MEASURES))
        mean = mean_of(measures[SBP], measures[DBP])
        taken_at, late, note = stamp(item.taken_at), item.taken_at < late_before, item.note
        rows.append((session_id, taken_at, *measures, mean, score_text, note, source, entered_at, entered_by, late,
                     seq, item.key))
        record = {"id": vitals_id, "session_id": session_id, "taken_at": taken_at, **values, "news2": score,
                  "late": late, **common}
        if mean is not None:
            record["map"] = mean
        if note is not None:
            record["note"] = note
        records.append(record)
    return rows, records


def news2_scores(db, session_id: int, new: list[Checked]) -> list[tuple[dict, str]]:
    """NEWS2 of each new reading, as `vitals.news2_for` would give it stored one by one in time order:
    each parameter's latest value in the 30 minutes up to the reading, the session's current
    records and the earlier readings of the file included."""
    window, scorer = vitals.NEWS2_WINDOW, Scorer()
    earlier = iter([(datetime.fromisoformat(row[0]), row[1:]) for row in db.execute(
        f"SELECT taken_at, {', '.join(NEWS2_INPUTS)} FROM vitals_current WHERE session_id = ? AND taken_at > ?"
        " AND taken_at <= ? ORDER BY taken_at, id",
        (session_id, stamp(new[0].taken_at - window), stamp(new[-1].taken_at)))])
    waiting = next(earlier, None)
    last_time: dict[str, datetime] = {}  # parameter -> when its latest value was taken
    last_value: dict[str, object] = {}
    points = [(name, scorer.points[name]) for name in NEWS2_INPUTS]
    out = []
    for item in new:
        moment = item.taken_at
        while waiting is not None and waiting[0] <= moment:
            for name, value in zip(NEWS2_INPUTS, waiting[1]):
                if value is not None:
                    last_time[name], last_value[name] = waiting[0], value
            waiting = next(earlier, None)
        values, since, key = item.values, moment - window, []
        for name, known in points:
            value = values.get(name)
            if value is None:
                if name not in last_time or last_time[name] <= since:
                    key.append(None)
                    continue
                value = last_value[name]
            else:
                last_time[name], last_value[name] = moment, value
            found = known.get(value)
            key.append(found if found is not None else scorer.point(name, value))
        out.append(scorer.total(tuple(key)))
    return out


class Scorer:
    """`news2.score` with each parameter's points and each total remembered (a few hundred distinct).

    Stored records are scored on SpO2 scale 1 (as `vitals.store` does), where the SpO2 points do not
    depend on oxygen; the oxygen itself scores as its own parameter.
    """

    def __init__(self):
        self.points: dict[str, dict] = {name: {} for name in NEWS2_INPUTS}
        self.totals: dict[tuple, tuple[dict, str]] = {}

    def point(self, name: str, value) -> int:
        points = news2.parameter_points({name: value})["o2" if name == "o2_lpm" else name]
        self.points[name][value] = points
        return points

    def total(self, points: tuple) -> tuple[dict, str]:
        """(score, its JSON) from the points of each of NEWS2_INPUTS (None where missing)."""
        found = self.totals.get(points)
        if found is None:
            found = self.totals[points] = self.compose(points)
        return found

    @staticmethod
    def compose(points: tuple) -> tuple[dict, str]:
        """The score from the points of each parameter, as news2.score adds them up."""
        given = dict(zip(NEWS2_INPUTS, points))
        total = sum(p or 0 for p in points)
        result = {"score": total, "band": news2.band_for(total), "single_3": 3 in points,
                  "partial": any(given[name] is None for name in news2.REQUIRED)}
        return result, json.dumps(result)


def evaluate_alerts(tx: Transaction, session_id: int, newest: list[dict]) -> None:
    """Once per import, on the newest record: the rules read the session's latest values anyway."""
    from . import alerts

    evaluate = getattr(alerts, "evaluate_vitals", None)
    if evaluate is not None and newest:
        evaluate(tx, session_id, newest)


# The request's options, from the API form or the command line

TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")


def flag(name: str, text: str | None) -> bool:
    """A yes/no option as a form sends it."""
    if text is None:
        return False
    lowered = text.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise BadRequest(f"{name} must be true or false", {name: "must be true or false"})


def options_from(fields: dict[str, str | None], *, zone: tzinfo, now: datetime) -> Options:
    """Options from text fields (form or command line); align_start without an offset is clinic time."""
    from .importers import FORMATS
    from .timeutil import parse as parse_time

    chosen = (fields.get("format") or "").strip().lower() or None
    if chosen is not None and chosen not in FORMATS:
        raise BadRequest(f"Unknown import format {chosen!r}", {"format": "must be csv, hl7 or fhir"})
    align_start = None
    text = (fields.get("align_start") or "").strip()
    if text:
        try:
            align_start = parse_time(text, zone)
        except ValueError:
            raise BadRequest("align_start is not an ISO 8601 time", {"align_start": "is not an ISO 8601 time"}) \
                from None
        if align_start > now + CLOCK_SKEW:
            raise ValidationFailed("align_start is in the future", {"align_start": "is in the future"})
    return Options(format=chosen, align_start=align_start,
                   **{name: flag(name, fields.get(name)) for name in ("dry_run", "skip_invalid", "confirm")})
