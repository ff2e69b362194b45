"""Notes: free text, medications given, rate changes, escalations ("call supervisor") and addenda."""
from __future__ import annotations

import json
from datetime import datetime, tzinfo

from sqlite_utils import Database

from ..errors import NotFound, ValidationFailed
from ..store.db import Transaction
from ..timeutil import iso
from . import entries, sessions

KINDS = ("note", "medication", "rate_change", "escalation")
COLUMNS = ("id", "session_id", "kind", "text", "at", "medication", "entered_at", "entered_by", "late")


def record(tx: Transaction, session_id: int, body: dict, *, zone: tzinfo, idempotency_key: str | None = None) -> dict:
    """A note, medication, rate change or escalation, through the entry pipeline."""

    def check(session: entries.Session) -> list[dict]:
        medication = body.get("medication") or None
        problems = {}
        if not body["text"].strip():
            problems["text"] = "is required"
        if body["kind"] == "medication" and not (medication and medication.get("name")):
            problems["medication.name"] = "name the medication given"
        if problems:
            raise ValidationFailed("the note has invalid values", problems)
        at = session.clinical_time(body.get("at"), "at", tx.now)
        return [row(session_id, body["kind"], body["text"].strip(), at, medication, session.late(at, tx.now))]

    return entries.enter(tx, KIND, session_id, body, zone=zone, key=idempotency_key, check=check, insert=insert)[0]


def add_addendum(tx: Transaction, session_id: int, text: str) -> dict:
    """An addendum: the only writing allowed once a session is signed."""
    sessions.get(tx.db, session_id)
    if not text.strip():
        raise ValidationFailed("the addendum is empty", {"text": "is required"})
    note = insert(tx, None, row(session_id, "addendum", text.strip(), tx.now, None, False))
    return entries.emit(tx, KIND, session_id, note, action="addendum.record")


def row(session_id: int, kind: str, text: str, at: datetime, medication: dict | None, late: bool) -> dict:
    return {"session_id": session_id, "kind": kind, "text": text, "at": iso(at),
            "medication": json.dumps(medication) if medication else None, "late": int(late)}


def insert(tx: Transaction, session: entries.Session | None, item: dict) -> dict:
    note_id = tx.insert("notes", item | {"entered_at": iso(tx.now), "entered_by": tx.actor.user_id})
    return get(tx.db, note_id)


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


KIND = entries.Kind("note", "note.record", "note.recorded", get)


def for_session(db: Database, session_id: int) -> list[dict]:
    return [shape(r) for r in db.execute(_select("n.session_id = ?") + " ORDER BY n.at, n.id", (session_id,))]
