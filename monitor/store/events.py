"""The event log: one row per change, gap-free `seq`, the single source for live and catch-up."""
from __future__ import annotations

from datetime import datetime

import orjson
from sqlite_utils import Database

from ..timeutil import iso

TYPES = (
    "session.created", "session.transitioned", "vitals.recorded", "vitals.amended", "vitals.voided",
    "vitals.batch", "side_effect.recorded", "side_effect.resolved", "assessment.recorded",
    "note.recorded", "session.signed", "alert.raised", "alert.acknowledged", "alert.silenced",
    "alert.cleared", "rems.submitted", "rems.answered", "chairs.chosen", "handover.given", "handover.accepted",
)
BATCH_SIZE = 500


def next_seq(db: Database) -> int:
    """The seq the next event will get (inside the writer's transaction)."""
    return (db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]) + 1


def append(db: Database, type_: str, session_id: int | None, at: datetime, data: dict,
           kept: dict | None = None) -> dict:
    """Append one event inside the current transaction and return its envelope.

    `kept`: what the log stores when it is less than what this process's listeners are told: an
    import's batch keeps the ids of its records, and its readers read them back (`record.feed`).
    """
    assert type_ in TYPES, type_
    seq = next_seq(db)
    envelope = {"seq": seq, "type": type_, "session_id": session_id, "at": iso(at), "data": data}
    db.execute("INSERT INTO events (seq, type, session_id, at, data) VALUES (?, ?, ?, ?, ?)",
               (seq, type_, session_id, envelope["at"], encode(data if kept is None else kept)))
    return envelope


def encode(data: dict) -> str:
    """An event's data as stored: compact JSON (orjson: an import's batches carry 100,000 records)."""
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode()


def last_seq(db: Database) -> int:
    return db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]


def since(db: Database, seq: int, *, session_id: int | None = None, limit: int = 1000) -> list[dict]:
    """Events after `seq`, in order, optionally for one session, as the log stores them: an import's
    batch carries the range of its records' ids, not the records (`record.feed` fills them in)."""
    sql = "SELECT seq, type, session_id, at, data FROM events WHERE seq > ?"
    params: list = [seq]
    if session_id is not None:
        sql += " AND session_id = ?"
        params.append(session_id)
    sql += " ORDER BY seq LIMIT ?"
    params.append(limit)
    return [
        {"seq": s, "type": t, "session_id": sid, "at": at, "data": orjson.loads(data)}
        for s, t, sid, at, data in db.execute(sql, params)
    ]
