"""Importing a file of vitals into a session: the service behind the API, the import page and
`monitor import`.

The parsers (`formats`) read the file into readings; `import_check` puts every reading through
the three validation tiers and words the report (CONTRACT.md §2); `import_rows` builds the rows,
NEWS2 scores and `vitals.batch` records 500 at a time. Everything an import stores goes in ONE
transaction with one audit entry and its batch events. A file with a rejected value stores
nothing unless `skip_invalid`; unusual values need `confirm`; `dry_run` answers the report and
stores nothing. A long file imported from the command line is checked in a second process
while this one inserts (`import_worker`); the outcome is the same.
"""
from __future__ import annotations

import gc
import hashlib
from contextlib import contextmanager
from datetime import datetime, tzinfo

from .. import errors
from ..errors import ApiError, BadRequest, ValidationFailed
from ..record import sessions
from ..store.db import Store, Transaction
from ..store.events import BATCH_SIZE
from ..timeutil import CLOCK_SKEW
from ..timeutil import parse as parse_time
from . import import_rows
from .formats import FORMATS, ParsedFile, detect_format, parse
from .import_check import (
    SOURCES,
    Options,
    Outcome,
    Progress,
    check,
    describe_refusal,
    new_checked,
    no_progress,
    preview,
    refusal,
    report,
)
from .import_rows import Batches, existing_keys, insert

__all__ = ["ImportRefused", "Options", "no_progress", "options_from", "run"]


class ImportRefused(ApiError):
    """An import refused as a whole; the answer carries the report that says why."""

    def __init__(self, cause: ApiError, report: dict):
        super().__init__(cause.message, cause.fields)
        self.status, self.code, self.report = cause.status, cause.code, report

    def to_json(self) -> dict:
        return super().to_json() | {"report": self.report}


# The service

def run(store: Store, session_id: int, data: bytes, *, actor, zone: tzinfo, options: Options = Options(),
        progress: Progress = no_progress, worker: bool = False) -> dict:
    """Import one file into a session and return the report; a dry run stores nothing.

    `worker`: a long file may be read and checked in a second process while this one stores it
    (the command line asks for it; a threaded server must not fork).
    """
    with collector_paused():
        sessions.check_writable(store.db, session_id)
        if worker and not options.dry_run and worker_wanted(data):
            return store_with_worker(store, session_id, data, actor=actor, zone=zone, options=options,
                                     progress=progress)
        progress("reading", 0, len(data))
        parsed = parse(data, format=options.format, tz=zone)
        progress("reading", len(data), len(data))
        if options.dry_run:
            return dry_run(store, session_id, parsed, options, progress)
        return store_here(store, session_id, parsed, data, actor=actor, options=options, progress=progress)


def worker_wanted(data: bytes) -> bool:
    """Whether a second process should read and check this file (`import_worker` is loaded only here:
    the server, which never forks, does not pay for it)."""
    from . import import_worker

    return import_worker.worth_it(data)


@contextmanager
def collector_paused():
    """Pause Python's cycle collector: a long file builds several objects per reading that all stay
    alive and hold no cycles, and the collector would walk them again and again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def dry_run(store: Store, session_id: int, parsed: ParsedFile, options: Options, progress: Progress) -> dict:
    """The report of what the import would store, with a preview of its first readings."""
    plan = check(parsed, now=store.now(), options=options, progress=progress)
    known = existing_keys(store.db, session_id)
    return report(plan, new_checked(plan, known), options) | {
        "preview": preview(plan, known), "refused": describe_refusal(refusal(plan, options))}


def store_here(store: Store, session_id: int, parsed: ParsedFile, data: bytes, *, actor, options: Options,
               progress: Progress) -> dict:
    """Check the whole file, then store it: a refused file never takes the database's write lock."""
    plan = check(parsed, now=store.now(), options=options, progress=progress)
    cause = refusal(plan, options)
    if cause is not None:
        known = existing_keys(store.db, session_id)
        raise ImportRefused(cause, report(plan, new_checked(plan, known), options, stored=False))
    checked = plan.checked
    with store.write(actor) as tx:
        sessions.check_writable(tx.db, session_id)
        start = import_rows.begin(tx, session_id, plan.source, checked[0].taken_at if checked else tx.now)
        batches = Batches(start)
        total = len(new_checked(plan, start.known))
        for offset in range(0, len(checked), BATCH_SIZE):
            store_batches(tx, session_id, batches.add(checked[offset:offset + BATCH_SIZE]), plan.source, progress,
                          total)
        store_batches(tx, session_id, batches.rest(), plan.source, progress, total)
        outcome = Outcome(report(plan, batches.new, options), None, batches.newest, batches.stored)
        conclude(tx, start, outcome, data)
    return outcome.report


def store_batches(tx: Transaction, session_id: int, built: list, source: str, progress: Progress,
                  total: int) -> None:
    for batch in built:
        insert(tx, session_id, batch.rows, batch.seq, batch.kept(source), batch.records)
        progress("storing", batch.offset + len(batch.rows), total)


def store_with_worker(store: Store, session_id: int, data: bytes, *, actor, zone: tzinfo, options: Options,
                      progress: Progress) -> dict:
    """Store the readings as a second process reads and checks the file; a refusal rolls back what was
    inserted."""
    from . import import_worker  # here: see worker_wanted

    source = SOURCES[options.format or detect_format(data)]
    with store.write(actor) as tx:
        sessions.check_writable(tx.db, session_id)
        start = import_rows.begin(tx, session_id, source, None)
        outcome = import_worker.store(tx, start, data, zone, options, progress)
        if outcome.refused is not None:
            raise ImportRefused(errors.from_plain(outcome.refused), outcome.report)
        conclude(tx, start, outcome, data)
    return outcome.report


def conclude(tx: Transaction, start: import_rows.Start, outcome: Outcome, data: bytes) -> None:
    """One audit entry for the import (its batches' events wake the alert rules, once, before COMMIT)."""
    if not outcome.stored:
        return
    import_rows.check_ids(tx, start, outcome.stored)
    tx.audit("vitals.import", "session", start.session_id, session_id=start.session_id,
             after=audit_summary(outcome.report, start.first_id, start.first_id + outcome.stored - 1, data))


def audit_summary(answer: dict, first_id: int, last_id: int, data: bytes) -> dict:
    """What the audit entry keeps of an import: the counts, the ids and the file's fingerprint, not the rows."""
    return {
        "format": answer["format"], "source": answer["source"], "imported": answer["imported"],
        "duplicates": answer["duplicates"], "first_taken_at": answer["first_taken_at"],
        "last_taken_at": answer["last_taken_at"], "first_id": first_id, "last_id": last_id,
        "skipped": len(answer["skipped"]), "rejected": answer["rejected_count"], "align_start": answer["align_start"],
        "file": {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()},
    }


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
