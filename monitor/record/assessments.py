"""Assessments: instrument scores (Aldrete, PADSS, MOAA/S, CADSS, BPRS+) with server-computed totals."""
from __future__ import annotations

import json
from datetime import tzinfo

from sqlite_utils import Database

from ..errors import NotFound
from ..rules import instruments
from ..store.db import Transaction
from ..timeutil import clinical_time, is_late, iso
from . import sessions

COLUMNS = ("id", "session_id", "instrument", "items", "total", "meets_discharge_criteria", "at",
           "entered_at", "entered_by", "late")


def record(tx: Transaction, session_id: int, body: dict, *, zone: tzinfo, idempotency_key: str | None = None) -> dict:
    sessions.check_writable(tx.db, session_id)
    if idempotency_key:
        row = tx.execute("SELECT id FROM assessments WHERE entered_by IS ? AND idempotency_key = ?",
                         (tx.actor.user_id, idempotency_key)).fetchone()
        if row:
            return get(tx.db, row[0])
    scored = instruments.score(body["instrument"], body["items"])
    at = clinical_time(body.get("at"), "at", zone, tx.now)
    meets = scored["meets_discharge_criteria"]
    assessment_id = tx.insert("assessments", {
        "session_id": session_id, "instrument": scored["instrument"], "items": json.dumps(scored["items"]),
        "total": scored["total"], "meets_discharge_criteria": None if meets is None else int(meets),
        "at": iso(at), "entered_at": iso(tx.now), "entered_by": tx.actor.user_id,
        "late": int(is_late(at, tx.now)), "idempotency_key": idempotency_key})
    assessment = get(tx.db, assessment_id)
    tx.audit("assessment.record", "assessment", assessment_id, session_id=session_id, after=assessment)
    tx.event("assessment.recorded", session_id, assessment)
    return assessment


def _select(where: str) -> str:
    return ("SELECT a.id, a.session_id, a.instrument, a.items, a.total, a.meets_discharge_criteria, a.at,"
            " a.entered_at, u.username, a.late FROM assessments a LEFT JOIN users u ON u.id = a.entered_by"
            f" WHERE {where}")


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


def for_session(db: Database, session_id: int) -> list[dict]:
    return [shape(r) for r in db.execute(_select("a.session_id = ?") + " ORDER BY a.at, a.id", (session_id,))]
