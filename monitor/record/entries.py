"""The one way an entry (vitals, a side effect, an assessment, a note) reaches a session's record.

`enter` replays a repeated Idempotency-Key, checks that the session takes entries, checks every
item before any is stored, inserts each, writes its audit entry and its event, and remembers the
key. A key is the caller's own: it matches exactly (no pattern), and only the request it was first
sent with (the same kind of entry, session and body); the same key sent with anything else is 409.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlite_utils import Database

from ..errors import Conflict, NotFound
from ..store.db import Transaction
from ..timeutil import clinical_time, day_start, is_late, iso, parse_stored
from .sessions import LOCKED


@dataclass(frozen=True)
class Kind:
    """One kind of entry: its name in the audit trail and the event log, and how one is read back."""

    entity: str  # the audit entry's entity, and the key's record kind
    action: str  # the audit action
    event: str  # the event type
    get: Callable[[Database, int], dict]


@dataclass(frozen=True)
class Session:
    """What an entry's checks need to know of the session it is for."""

    id: int
    earliest: datetime  # the patient's birth (or 1900): no clinical time is older
    discharged_at: datetime | None  # set once discharged: later entries are refused, earlier ones late
    zone: tzinfo

    def clinical_time(self, value, field: str, now: datetime) -> datetime:
        """A clinical time of this session's record: ISO, not in the future, not before the patient's
        birth, and before the discharge once the patient has gone home."""
        moment = clinical_time(value, field, self.zone, now, earliest=self.earliest)
        if self.discharged_at is not None and moment >= self.discharged_at:
            shown = self.discharged_at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")
            raise Conflict(f"the patient was discharged at {shown}; {field} is after the discharge: only what "
                           "happened before it can be added", {field: "is after the discharge"})
        return moment

    def late(self, moment: datetime, now: datetime) -> bool:
        """Entered more than 10 minutes after its time, or after the discharge."""
        return self.discharged_at is not None or is_late(moment, now)


def session_for(db: Database, session_id: int, zone: tzinfo) -> Session:
    """The session an entry is for, in one query: 404 when missing, 409 when signed."""
    row = db.execute(
        "SELECT s.state, g.id, p.birth_date, (SELECT t.at FROM transitions t WHERE t.session_id = s.id"
        " AND t.to_state = 'discharged' ORDER BY t.id LIMIT 1) FROM sessions s JOIN patients p ON p.id = s.patient_id"
        " LEFT JOIN signatures g ON g.session_id = s.id WHERE s.id = ?", (session_id,)).fetchone()
    if row is None:
        raise NotFound(f"no session {session_id}")
    state, signed, born, discharged = row
    if signed is not None:
        raise Conflict(LOCKED)
    try:
        earliest = day_start(born, zone)
    except ValueError:  # a birth date stored before dates were checked: 1900 still holds
        earliest = day_start(None, zone)
    return Session(session_id, earliest, parse_stored(discharged) if state == "discharged" else None, zone)


def request_digest(kind: Kind, session_id: int, body) -> str:
    """What a key stands for: the kind of entry, the session and the body as sent."""
    text = json.dumps([kind.entity, session_id, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def replay(tx: Transaction, kind: Kind, session_id: int, body, key: str) -> list[dict] | None:
    """What the request first sent with this key stored, or None for a new key; 409 for another request."""
    row = tx.execute("SELECT request, records FROM idempotency_keys WHERE user_id IS ? AND key = ?",
                     (tx.actor.user_id, key)).fetchone()
    if row is None:
        return None
    if row[0] != request_digest(kind, session_id, body):
        raise Conflict("this Idempotency-Key was already used for another request; send a new key for a new entry",
                       {"Idempotency-Key": "was used for another request"})
    return [kind.get(tx.db, record_id) for record_id in json.loads(row[1])]


def emit(tx: Transaction, kind: Kind, session_id: int, record: dict, action: str | None = None) -> dict:
    """The audit entry and the event of one stored entry, in its transaction."""
    tx.audit(action or kind.action, kind.entity, record["id"], session_id=session_id, after=record)
    tx.event(kind.event, session_id, record)
    return record


def enter(tx: Transaction, kind: Kind, session_id: int, body, *, zone: tzinfo, key: str | None,
          check: Callable[[Session], list], insert: Callable[[Transaction, Session, object], dict]) -> list[dict]:
    """Store the items `check` makes of a request (all checked before any is stored), each through
    `insert`, with its audit entry and event; a repeated key answers what it stored the first time."""
    if key:
        replayed = replay(tx, kind, session_id, body, key)
        if replayed is not None:
            return replayed
    session = session_for(tx.db, session_id, zone)
    items = check(session)
    stored = [emit(tx, kind, session_id, insert(tx, session, item)) for item in items]
    if key:
        tx.insert("idempotency_keys", {
            "user_id": tx.actor.user_id, "key": key, "request": request_digest(kind, session_id, body),
            "entity": kind.entity, "records": json.dumps([r["id"] for r in stored]), "created_at": iso(tx.now)})
    return stored
