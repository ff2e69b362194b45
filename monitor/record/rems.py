"""The esketamine REMS form's one write: marking it sent to the programme (once)."""
from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from ..errors import Conflict, NotFound
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
