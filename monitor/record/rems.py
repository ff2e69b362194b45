"""The esketamine REMS form's writes: the answers the record cannot know, and marking it sent to the
programme (once)."""
from __future__ import annotations

import json
from datetime import datetime

from sqlite_utils import Database

from ..errors import Conflict, NotFound, ValidationFailed
from ..store.db import Transaction
from ..timeutil import iso
from . import sessions

SUBMISSION_COLUMNS = ("submitted_at", "reference", "entered_at", "entered_by")
NOT_ESKETAMINE = "the REMS Patient Monitoring Form is for esketamine sessions"


def submission(db: Database, session_id: int) -> dict | None:
    row = db.execute("SELECT r.submitted_at, r.reference, r.entered_at, u.username FROM rems_submissions r"
                     " LEFT JOIN users u ON u.id = r.entered_by WHERE r.session_id = ?", (session_id,)).fetchone()
    return dict(zip(SUBMISSION_COLUMNS, row)) if row else None


def mark_submitted(tx: Transaction, session_id: int, submitted_at: datetime, reference: str | None) -> dict:
    """Record that the session's form was sent to the REMS programme; once only (409 after)."""
    session = sessions.get(tx.db, session_id)
    if session["drug"] != "esketamine":
        raise NotFound(f"session {session_id} is a {session['drug']} session: {NOT_ESKETAMINE}")
    if submission(tx.db, session_id) is not None:
        raise Conflict("the REMS form of this session is already marked submitted")
    if not sessions.timeline(sessions.transitions(tx.db, session_id)).get("infusing"):
        raise Conflict("the session has no dose yet: the REMS form is filled in after dosing")
    reference = (reference or "").strip() or None
    tx.insert("rems_submissions", {"session_id": session_id, "submitted_at": iso(submitted_at),
                                   "reference": reference, "entered_at": iso(tx.now),
                                   "entered_by": tx.actor.user_id})
    marked = submission(tx.db, session_id)
    tx.audit("rems.submit", "session", session_id, session_id=session_id, after=marked)
    tx.event("rems.submitted", session_id, {"session_id": session_id} | marked)
    return marked


# The fields the form asks for, and the session column that makes asking needless when it is filled.
ASKED = {"enrolled_in_rems": None, "dose_mg": "dose_mg", "lot_number": "lot_number",
         "ready_to_leave_minutes": None}


def answers(db: Database, session_id: int) -> dict:
    """The newest answer to each asked field, with who gave it and when."""
    found = {}
    for text, entered_at, username in db.execute(
            "SELECT a.answers, a.entered_at, u.username FROM rems_answers a LEFT JOIN users u ON u.id = a.entered_by"
            " WHERE a.session_id = ? ORDER BY a.id", (session_id,)):
        for name, value in json.loads(text).items():
            found[name] = {"value": value, "entered_at": entered_at, "entered_by": username}
    return found


def answer(tx: Transaction, session_id: int, body: dict, known: set[str]) -> dict:
    """Keep answers to what the form asks; a field the record already knows (`known`) is not asked."""
    session = sessions.get(tx.db, session_id)
    if session["drug"] != "esketamine":
        raise NotFound(f"session {session_id} is a {session['drug']} session: {NOT_ESKETAMINE}")
    if submission(tx.db, session_id) is not None:
        raise Conflict("the REMS form of this session is already marked submitted")
    problems = {name: "the record already holds it" for name in body if name in known}
    if body.get("dose_mg") is not None and not 0 < body["dose_mg"] <= 1000:
        problems["dose_mg"] = "must be more than 0 and at most 1000"
    if body.get("ready_to_leave_minutes") is not None and not 0 <= body["ready_to_leave_minutes"] <= 1440:
        problems["ready_to_leave_minutes"] = "must be from 0 to 1440"
    if problems:
        raise ValidationFailed("; ".join(f"{k} {v}" for k, v in problems.items()), problems)
    if not body:
        raise ValidationFailed("give at least one answer", {"answers": "give at least one answer"})
    tx.insert("rems_answers", {"session_id": session_id, "answers": json.dumps(body, sort_keys=True),
                               "entered_at": iso(tx.now), "entered_by": tx.actor.user_id})
    tx.audit("rems.answer", "session", session_id, session_id=session_id, after=body)
    found = answers(tx.db, session_id)
    tx.event("rems.answered", session_id, {"session_id": session_id, "answers": found})
    return found
