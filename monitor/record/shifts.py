"""A nurse's shift: the chairs she has taken, and the handover sheet handed to the nurse taking over.

Her chairs are kept for her login (one row, replaced when she chooses again) and narrow her dashboard.
A handover names the receiving nurse, the chairs and when the shift began; the receiver accepts it
(only she can), and the chairs become hers. Each change is an audit entry and an event.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlite_utils import Database

from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..store.db import Transaction
from ..timeutil import iso
from . import users

MAX_CHAIRS = 40


def chairs_of(db: Database, user_id: int) -> list[str]:
    row = db.execute("SELECT chairs FROM chosen_chairs WHERE user_id = ?", (user_id,)).fetchone()
    return json.loads(row[0]) if row else []


def chair_order(chair: str) -> tuple:
    """The clinic's order of chairs: chair 2 before chair 10, named chairs after the numbered ones."""
    return (0, int(chair), "") if chair.isdecimal() else (1, 0, chair)


def checked_chairs(chairs: list[str]) -> list[str]:
    """The chairs as given, without blanks or repeats, in the clinic's order."""
    found = sorted({c.strip() for c in chairs if c.strip()}, key=chair_order)
    if len(found) > MAX_CHAIRS:
        raise ValidationFailed(f"at most {MAX_CHAIRS} chairs", {"chairs": f"at most {MAX_CHAIRS}"})
    return found


def choose_chairs(tx: Transaction, chairs: list[str]) -> list[str]:
    """The signed-in user takes these chairs (an empty list: every chair again)."""
    before, chosen = chairs_of(tx.db, tx.actor.user_id), checked_chairs(chairs)
    tx.execute("INSERT INTO chosen_chairs (user_id, chairs, chosen_at) VALUES (?, ?, ?) ON CONFLICT(user_id)"
               " DO UPDATE SET chairs = excluded.chairs, chosen_at = excluded.chosen_at",
               (tx.actor.user_id, json.dumps(chosen), iso(tx.now)))
    tx.audit("chairs.choose", "user", tx.actor.user_id, before={"chairs": before}, after={"chairs": chosen})
    tx.event("chairs.chosen", None, {"username": tx.actor.username, "chairs": chosen})
    return chosen


def hand_over(tx: Transaction, to_username: str, chairs: list[str], since: datetime, note: str | None) -> dict:
    """Hand the sheet of these chairs, since the shift began, to another nurse; she still has to accept it."""
    receiver = users.by_name(tx.db, to_username)
    if receiver is None or receiver["disabled"] or receiver["role"] not in ("nurse", "clinician"):
        raise ValidationFailed(f"no nurse called {to_username!r} can take a handover", {"to": "no such nurse"})
    if receiver["id"] == tx.actor.user_id:
        raise ValidationFailed("a handover goes to another nurse", {"to": "is you"})
    chosen = checked_chairs(chairs)
    if not chosen:
        raise ValidationFailed("name the chairs handed over", {"chairs": "none given"})
    handover_id = tx.insert("handovers", {"from_user": tx.actor.user_id, "to_user": receiver["id"],
                                          "chairs": json.dumps(chosen), "since": iso(since),
                                          "note": (note or "").strip() or None, "handed_at": iso(tx.now)})
    given = get(tx.db, handover_id)
    tx.audit("handover.give", "handover", handover_id, after=given)
    tx.event("handover.given", None, given)
    return given


def accept(tx: Transaction, handover_id: int) -> dict:
    """The receiving nurse accepts the handover: it is audited, and its chairs become hers."""
    handover = get(tx.db, handover_id)
    if handover["to"] != tx.actor.username:
        raise Forbidden("only the nurse it was handed to can accept a handover")
    if handover["accepted_at"]:
        raise Conflict(f"handover {handover_id} was already accepted")
    tx.insert("handover_acceptances", {"handover_id": handover_id, "accepted_at": iso(tx.now)})
    accepted = get(tx.db, handover_id)
    tx.audit("handover.accept", "handover", handover_id, before=handover, after=accepted)
    tx.event("handover.accepted", None, accepted)
    choose_chairs(tx, chairs_of(tx.db, tx.actor.user_id) + handover["chairs"])
    return accepted


def get(db: Database, handover_id: int) -> dict:
    row = db.execute(SELECT + " WHERE h.id = ?", (handover_id,)).fetchone()
    if row is None:
        raise NotFound(f"no handover {handover_id}")
    return shape(row)


def for_user(db: Database, user_id: int, limit: int = 20) -> list[dict]:
    """The latest handovers given by or to this user, newest first."""
    rows = db.execute(SELECT + " WHERE h.from_user = :u OR h.to_user = :u ORDER BY h.id DESC LIMIT :limit",
                      {"u": user_id, "limit": limit})
    return [shape(r) for r in rows]


SELECT = ("SELECT h.id, f.username, t.username, h.chairs, h.since, h.note, h.handed_at, a.accepted_at"
          " FROM handovers h JOIN users f ON f.id = h.from_user JOIN users t ON t.id = h.to_user"
          " LEFT JOIN handover_acceptances a ON a.handover_id = h.id")


def shape(row) -> dict:
    found = dict(zip(("id", "from", "to", "chairs", "since", "note", "handed_at", "accepted_at"), row))
    found["chairs"] = json.loads(found["chairs"])
    return found
