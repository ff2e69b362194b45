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
    "alert.cleared", "rems.submitted",
)
BATCH_SIZE = 500


def next_seq(db: Database) -> int:
    """The seq the next event will get (inside the writer's transaction)."""
    return (db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]) + 1


def append(db: Database, type_: str, session_id: int | None, at: datetime, data: dict,
           kept: dict | None = None) -> dict:
    """Append one event inside the current transaction and return its envelope.

    `kept`: what the log stores when it is less than what this process's listeners are told: an
    import's batch keeps the ids of its records, and `since` reads them back (see `with_records`).
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
    """Events after `seq`, in order, optionally for one session."""
    sql = "SELECT seq, type, session_id, at, data FROM events WHERE seq > ?"
    params: list = [seq]
    if session_id is not None:
        sql += " AND session_id = ?"
        params.append(session_id)
    sql += " ORDER BY seq LIMIT ?"
    params.append(limit)
    found = [
        {"seq": s, "type": t, "session_id": sid, "at": at, "data": orjson.loads(data)}
        for s, t, sid, at, data in db.execute(sql, params)
    ]
    return with_records(db, found)


def with_records(db: Database, found: list[dict]) -> list[dict]:
    """Fill in the records of an import's batches, which the log keeps as a range of ids.

    Imported vitals rows are insert-only and never change, so reading them back gives the records
    exactly as they were stored (status `current`, as when the batch was published), and the log
    does not hold every imported reading a second time.
    """
    from ..record.vitals import records_between  # here: the vitals module itself appends events

    for event in found:
        data = event["data"]
        if event["type"] == "vitals.batch" and "records" not in data:
            data["records"] = records_between(db, data["first_id"], data["last_id"])
    return found
