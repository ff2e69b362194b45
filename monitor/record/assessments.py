"""Assessments: instrument scores (Aldrete, PADSS, MOAA/S, CADSS, BPRS+, and the outcome measures PHQ-9,
GAD-7, PCL-5, MADRS) with server-computed totals, bands and, for an outcome, its place in the course."""
from __future__ import annotations

import json
from datetime import tzinfo

from sqlite_utils import Database

from ..errors import NotFound, ValidationFailed
from ..rules import instruments, outcomes, rulesets
from ..store.db import Transaction
from ..timeutil import iso
from . import entries

COLUMNS = ("id", "session_id", "instrument", "items", "total", "meets_discharge_criteria", "at",
           "entered_at", "entered_by", "late", "band", "answered_by")
ANSWERED_BY = ("staff", "patient")  # patient: a self-report on the tablet, entered by the nurse's login


def record(tx: Transaction, session_id: int, body: dict, *, zone: tzinfo, idempotency_key: str | None = None) -> dict:
    """Score an instrument and record it through the entry pipeline."""
    answered_by = body.get("answered_by") or "staff"
    settings = rulesets.in_force(tx.db)["outcomes"]
    rated_by = instruments.INSTRUMENTS.get(body["instrument"], {}).get("rated_by")

    def check(session: entries.Session) -> list[dict]:
        if answered_by == "patient" and rated_by != "patient":
            raise ValidationFailed("only a self-report instrument is answered by the patient",
                                   {"answered_by": "must be staff for this instrument"})
        scored = instruments.score(body["instrument"], body["items"], settings)
        at = session.clinical_time(body.get("at"), "at", tx.now)
        meets = scored["meets_discharge_criteria"]
        return [{"session_id": session_id, "instrument": scored["instrument"], "items": json.dumps(scored["items"]),
                 "total": scored["total"], "meets_discharge_criteria": None if meets is None else int(meets),
                 "at": iso(at), "late": int(session.late(at, tx.now)), "band": scored.get("band"),
                 "answered_by": answered_by}]

    def insert(tx: Transaction, session: entries.Session, row: dict) -> dict:
        assessment_id = tx.insert("assessments", row | {"entered_at": iso(tx.now), "entered_by": tx.actor.user_id})
        return with_course(tx.db, get(tx.db, assessment_id), settings)

    return entries.enter(tx, KIND, session_id, body, zone=zone, key=idempotency_key, check=check, insert=insert)[0]


def _select(where: str) -> str:
    return ("SELECT a.id, a.session_id, a.instrument, a.items, a.total, a.meets_discharge_criteria, a.at,"
            " a.entered_at, u.username, a.late, a.band, a.answered_by FROM assessments a"
            f" LEFT JOIN users u ON u.id = a.entered_by WHERE {where}")


def shape(row) -> dict:
    item = dict(zip(COLUMNS, row))
    item["items"] = json.loads(item["items"])
    meets = item["meets_discharge_criteria"]
    item["meets_discharge_criteria"] = None if meets is None else bool(meets)
    item["late"] = bool(item["late"])
    return item


def get(db: Database, assessment_id: int) -> dict:
    row = db.execute(_select("a.id = ?"), (assessment_id,)).fetchone()
    if not row:
        raise NotFound(f"no assessment {assessment_id}")
    return shape(row)


def get_in_course(db: Database, assessment_id: int) -> dict:
    """An assessment as its recording answered it: an outcome measure with its place in the course."""
    return with_course(db, get(db, assessment_id), rulesets.in_force(db)["outcomes"])


KIND = entries.Kind("assessment", "assessment.record", "assessment.recorded", get_in_course)


def for_session(db: Database, session_id: int) -> list[dict]:
    return [shape(r) for r in db.execute(_select("a.session_id = ?") + " ORDER BY a.at, a.id", (session_id,))]


def with_course(db: Database, assessment: dict, settings: dict) -> dict:
    """An outcome measure's score with its baseline, change, response and remission in the course."""
    if assessment["instrument"] not in instruments.OUTCOMES:
        return assessment
    patient_id = db.execute("SELECT patient_id FROM sessions WHERE id = ?", (assessment["session_id"],)).fetchone()[0]
    series = outcomes.course_series(assessment["instrument"], course_scores(db, patient_id, assessment["instrument"]),
                                    settings)
    point = next(p for p in series if p["session_id"] == assessment["session_id"])
    return assessment | {k: point[k] for k in ("baseline", "change_pct", "response", "remission", "worsening")}


def course_scores(db: Database, patient_id: int, instrument: str) -> list[dict]:
    """One score per session of the patient's course (the session's last of that instrument), in course
    order (series number, then session), each with the session it belongs to."""
    rows = db.execute(
        _select("a.instrument = ? AND a.session_id IN (SELECT id FROM sessions WHERE patient_id = ?)"
                " AND NOT EXISTS (SELECT 1 FROM assessments later WHERE later.session_id = a.session_id"
                " AND later.instrument = a.instrument AND (later.at > a.at OR (later.at = a.at AND later.id > a.id)))"),
        (instrument, patient_id)).fetchall()
    order = {sid: n for n, (sid,) in enumerate(db.execute(
        "SELECT id FROM sessions WHERE patient_id = ? ORDER BY series_number IS NULL, series_number, id",
        (patient_id,)))}
    return sorted((shape(r) for r in rows), key=lambda a: order[a["session_id"]])


def already_scored(db: Database, session_id: int, instrument: str, at, items: dict) -> bool:
    """Whether the session holds this instrument scored at `at` with these answers (an import read twice)."""
    rows = db.execute("SELECT items FROM assessments WHERE session_id = ? AND instrument = ? AND at = ?",
                      (session_id, instrument, iso(at))).fetchall()
    return any(json.loads(text) == items for (text,) in rows)
