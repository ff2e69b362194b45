"""Notes: free text, medications given, rate changes, escalations ("call supervisor") and addenda."""
from __future__ import annotations

import json
from datetime import tzinfo

from sqlite_utils import Database

from ..errors import NotFound, ValidationFailed
from ..store.db import Transaction
from ..timeutil import clinical_time, is_late, iso
from . import sessions

KINDS = ("note", "medication", "rate_change", "escalation")
COLUMNS = ("id", "session_id", "kind", "text", "at", "medication", "entered_at", "entered_by", "late")


def record(tx: Transaction, session_id: int, body: dict, *, zone: tzinfo, idempotency_key: str | None = None) -> dict:
    sessions.check_writable(tx.db, session_id)
    if idempotency_key:
        row = tx.execute("SELECT id FROM notes WHERE entered_by IS ? AND idempotency_key = ?",
                         (tx.actor.user_id, idempotency_key)).fetchone()
        if row:
            return get(tx.db, row[0])
    medication = body.get("medication") or None
    problems = {}
    if not body["text"].strip():
        problems["text"] = "is required"
    if body["kind"] == "medication" and not (medication and medication.get("name")):
        problems["medication.name"] = "name the medication given"
    if problems:
        raise ValidationFailed("the note has invalid values", problems)
    at = clinical_time(body.get("at"), "at", zone, tx.now)
    return _insert(tx, session_id, body["kind"], body["text"].strip(), at, medication, idempotency_key)


def add_addendum(tx: Transaction, session_id: int, text: str) -> dict:
    """An addendum: the only writing allowed once a session is signed."""
    sessions.get(tx.db, session_id)
    if not text.strip():
        raise ValidationFailed("the addendum is empty", {"text": "is required"})
    return _insert(tx, session_id, "addendum", text.strip(), tx.now, None, None)


def _insert(tx: Transaction, session_id: int, kind: str, text: str, at, medication, idempotency_key) -> dict:
    note_id = tx.insert("notes", {
        "session_id": session_id, "kind": kind, "text": text, "at": iso(at),
        "medication": json.dumps(medication) if medication else None, "entered_at": iso(tx.now),
        "entered_by": tx.actor.user_id, "late": int(is_late(at, tx.now)), "idempotency_key": idempotency_key})
    note = get(tx.db, note_id)
    tx.audit(f"{'addendum' if kind == 'addendum' else 'note'}.record", "note", note_id,
             session_id=session_id, after=note)
    tx.event("note.recorded", session_id, note)
    return note


def _select(where: str) -> str:
    return ("SELECT n.id, n.session_id, n.kind, n.text, n.at, n.medication, n.entered_at, u.username, n.late"
            f" FROM notes n LEFT JOIN users u ON u.id = n.entered_by WHERE {where}")


def shape(row) -> dict:
    item = dict(zip(COLUMNS, row))
    item["medication"] = json.loads(item["medication"]) if item["medication"] else None
    item["late"] = bool(item["late"])
    return item


def get(db: Database, note_id: int) -> dict:
    row = db.execute(_select("n.id = ?"), (note_id,)).fetchone()
    if not row:
        raise NotFound(f"no note {note_id}")
    return shape(row)


def for_session(db: Database, session_id: int) -> list[dict]:
    return [shape(r) for r in db.execute(_select("n.session_id = ?") + " ORDER BY n.at, n.id", (session_id,))]
