"""Importing a file of vitals into a session: the service behind the API, the import page and
`monitor import`.

The parsers (`formats`) read the file into readings; `import_check` puts every reading through
the three validation tiers of manual entry and words the report (CONTRACT.md §2); `import_rows`
stores them through the vitals writer, 500 records to a `vitals.batch` event. Everything an
import stores goes in ONE transaction with one audit entry and its batch events. A file with a
rejected value stores nothing unless `skip_invalid`; unusual values need `confirm`; `dry_run`
answers the report and stores nothing.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, tzinfo

from ..errors import ApiError, BadRequest
from ..record import assessments, entries
from ..rules import instruments
from ..store.db import Store
from ..timeutil import clinical_time
from ..timeutil import parse as parse_time
from . import import_rows
from .formats import FORMATS, parse
from .import_check import (
    Options,
    Plan,
    Progress,
    check,
    describe_refusal,
    new_checked,
    no_progress,
    preview,
    refusal,
    report,
)
from .import_rows import existing_keys

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
        progress: Progress = no_progress) -> dict:
    """Import one file into a session and return the report; a dry run stores nothing."""
    session = entries.session_for(store.db, session_id, zone)
    progress("reading", 0, len(data))
    parsed = parse(data, format=options.format, tz=zone)
    progress("reading", len(data), len(data))
    plan = check(parsed, now=store.now(), session=session, options=options, progress=progress)
    if options.dry_run:
        known = existing_keys(store.db, session_id)
        return report(plan, new_checked(plan, known), options) | {
            "preview": preview(plan, known), "refused": describe_refusal(refusal(plan, options))}
    refuse_if_refused(store.db, session_id, plan, options)  # before the write lock: a refused file never takes it
    with store.write(actor) as tx:
        now_session = entries.session_for(tx.db, session_id, zone)
        if now_session != session:  # discharged while the file was being checked
            plan = check(parsed, now=tx.now, session=now_session, options=options)
            refuse_if_refused(tx.db, session_id, plan, options)
        new = new_checked(plan, existing_keys(tx.db, session_id))
        answer = report(plan, new, options)
        if new:
            first_id, last_id = import_rows.store(tx, now_session, plan.source, new, progress)
            tx.audit("vitals.import", "session", session_id, session_id=session_id,
                     after=audit_summary(answer, first_id, last_id, data))
        if parsed.scores:
            answer["scores_imported"], answer["scores_refused"] = store_scores(tx, session_id, parsed.scores, zone)
    return answer


def store_scores(tx, session_id: int, scores: list[dict], zone: tzinfo) -> tuple[int, list[dict]]:
    """The file's outcome measures as assessments (scored again by the server, a partial set refused as at
    the chair, before anything of it is written); one already in the session (same instrument, time and
    answers) is not stored twice. A course CSV's score goes to the session its row names, which must be
    one of this patient's, and a row whose total disagrees with its items stores nothing. Returns how many
    were stored and what was refused, with why."""
    stored, refused = 0, []
    bad_rows = course_problems(tx.db, session_id, scores)
    refused += [{"where": where, "message": message} for where, message in bad_rows.items()]
    for score in scores:
        if score["where"] in bad_rows:
            continue
        target = score.get("session_id", session_id)
        body = {"instrument": score["instrument"], "items": score["items"], "at": score["at"]}
        try:
            if assessments.already_scored(tx.db, target, score["instrument"], parse_time(score["at"], zone),
                                          score["items"]):
                continue
            assessments.record(tx, target, body, zone=zone)
        except (ApiError, ValueError) as error:
            refused.append({"where": score["where"], "message": getattr(error, "message", str(error))})
            continue
        stored += 1
    return stored, refused


def course_problems(db, session_id: int, scores: list[dict]) -> dict[str, str]:
    """A course CSV's rows refused whole, by where, with why: a session not of the patient imported into,
    or a total that the items, scored again, do not give."""
    patient = "SELECT patient_id FROM sessions WHERE id = ?"
    own = db.execute(patient, (session_id,)).fetchone()
    problems: dict[str, str] = {}
    for score in scores:
        if "total" not in score or score["where"] in problems:
            continue
        found = db.execute(patient, (score["session_id"],)).fetchone() if isinstance(score["session_id"], int) else None
        if found is None or found[0] != own[0]:
            problems[score["where"]] = f"session {score['session_id']} is not one of this patient's sessions"
            continue
        try:
            total = instruments.score(score["instrument"], score["items"])["total"]
        except ApiError:
            continue  # the items themselves are refused by the scoring when stored
        if total != score["total"]:
            problems[score["where"]] = (f"{score['instrument']} total {score['total']} does not match its items,"
                                        f" which give {total}: nothing of this row is stored")
    return problems


def refuse_if_refused(db, session_id: int, plan: Plan, options: Options) -> None:
    """Raise ImportRefused, with the report, when the plan refuses the import."""
    cause = refusal(plan, options)
    if cause is not None:
        raise ImportRefused(cause, report(plan, new_checked(plan, existing_keys(db, session_id)), options,
                                          stored=False))


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
    text = (fields.get("align_start") or "").strip()
    # A clinical time like any other: ISO, not in the future, on the clinic's clock without a DST gap or repeat.
    align_start = clinical_time(text, "align_start", zone, now) if text else None
    return Options(format=chosen, align_start=align_start,
                   **{name: flag(name, fields.get(name)) for name in ("dry_run", "skip_invalid", "confirm")})
