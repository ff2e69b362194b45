"""Vitals: recorded after the three validation tiers, with MAP and NEWS2 computed by the server.

Nothing recorded is ever changed: an amendment is a new record that `supersedes`
the original, a void is a row in `vitals_voids`. Status is derived from those.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, tzinfo

import orjson
from sqlite_utils import Database

from ..errors import ApiError, BadRequest, Conflict, NotFound, ValidationFailed
from ..rules import news2, validation
from ..store import events
from ..store.db import Transaction
from ..timeutil import iso
from . import entries, sessions

MEASURES = validation.MEASURE_FIELDS
NO_MEASURES = dict.fromkeys(MEASURES)
NEWS2_WINDOW = timedelta(minutes=30)
NEWS2_INPUTS = ("rr", "spo2", "o2_lpm", "sbp", "hr", "consciousness", "temp_c")
SOURCES = ("manual", "import:csv", "import:hl7", "import:fhir")
STORED = ("id", "session_id", "taken_at") + MEASURES + (
    "map", "news2", "note", "source", "supersedes", "reason", "entered_at", "entered_by", "late", "seq")
SELECT = (", ".join(f"v.{c}" for c in STORED if c != "entered_by")
          + ", u.username AS entered_by, "
          "CASE WHEN x.id IS NOT NULL THEN 'void' WHEN later.id IS NOT NULL THEN 'amended' ELSE 'current' END"
          " AS status, x.reason AS void_reason FROM vitals v LEFT JOIN users u ON u.id = v.entered_by"
          " LEFT JOIN vitals_voids x ON x.vitals_id = v.id LEFT JOIN vitals later ON later.supersedes = v.id")
REQUEST_EXTRAS = ("taken_at", "note", "confirm")
LATEST_INDEX = {p: f"vitals_latest_{p}" if p in ("o2_lpm", "consciousness") else "vitals_session_time"
                for p in NEWS2_INPUTS}


def mean_arterial_pressure(sbp, dbp) -> int | None:
    if sbp is None or dbp is None:
        return None
    return round(dbp + (sbp - dbp) / 3)


def split_request(body) -> tuple[dict, dict]:
    """Separate the measures from taken_at, note and confirm, checking their types."""
    if not isinstance(body, dict):
        raise BadRequest("each vitals record must be a JSON object")
    extras = {k: body[k] for k in REQUEST_EXTRAS if k in body}
    if "note" in extras and extras["note"] is not None and not isinstance(extras["note"], str):
        raise BadRequest("note must be text", {"note": "must be text"})
    if "confirm" in extras and not isinstance(extras["confirm"], bool):
        raise BadRequest("confirm must be true or false", {"confirm": "must be a boolean"})
    return {k: v for k, v in body.items() if k not in REQUEST_EXTRAS}, extras


def prepare(body, *, session: entries.Session, now: datetime, confirm: bool = False) -> dict:
    """Check one request body for `session`; return the row to store (without ids and scores)."""
    measures, extras = split_request(body)
    taken_at = session.clinical_time(extras.get("taken_at"), "taken_at", now)
    values = validation.check_vitals(measures, confirm=confirm or extras.get("confirm", False))
    return {"taken_at": taken_at, "values": values, "note": extras.get("note"), "late": session.late(taken_at, now)}


def news2_for(db: Database, session_id: int, taken_at: datetime, values: dict, scale2: bool = False) -> dict:
    """NEWS2 from the latest value of each parameter in the 30 minutes up to `taken_at`."""
    latest = {k: values.get(k) for k in NEWS2_INPUTS}
    missing = [k for k, v in latest.items() if v is None]
    if missing:
        window = (session_id, iso(taken_at - NEWS2_WINDOW), iso(taken_at))
        row = db.execute("SELECT " + ", ".join(LATEST_IN_WINDOW.format(p=p, index=LATEST_INDEX[p]) for p in missing),
                         window * len(missing)).fetchone()
        latest |= dict(zip(missing, row))
    return news2.score({k: v for k, v in latest.items() if v is not None}, scale2=scale2)


# The latest value of one parameter in the window; voided and superseded records do not count.
# The session's time index carries every NEWS2 input; O2 flow and ACVPU, absent from most
# records, have a partial index of their own (migrations.NEWS2_COVERING_INDEX).
LATEST_IN_WINDOW = (
    "(SELECT v.{p} FROM vitals v INDEXED BY {index} WHERE v.session_id = ? AND v.taken_at > ?"
    " AND v.taken_at <= ? AND v.{p} IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM vitals later WHERE later.supersedes = v.id)"
    " AND NOT EXISTS (SELECT 1 FROM vitals_voids x WHERE x.vitals_id = v.id)"
    " ORDER BY v.taken_at DESC, v.id DESC LIMIT 1)"
)


def store(tx: Transaction, session_id: int, prepared: dict, *, source: str = "manual",
          supersedes: int | None = None, reason: str | None = None) -> dict:
    """Insert one checked record (entered by hand, or its amendment) and return it as the API shows it."""
    values, taken_at = prepared["values"], prepared["taken_at"]
    row = new_row(tx, session_id, taken_at, values, news2_for(tx.db, session_id, taken_at, values),
                  note=prepared.get("note"), late=prepared["late"], source=source, seq=events.next_seq(tx.db),
                  supersedes=supersedes, reason=reason)
    return new_record(tx, row, tx.insert("vitals", row))


def new_row(tx: Transaction, session_id: int, taken_at: datetime, values: dict, score: dict, *, note: str | None,
            late: bool, source: str, seq: int, supersedes: int | None = None, reason: str | None = None,
            import_key: str | None = None) -> dict:
    """The table row of one checked record, entered by hand or imported: its MAP, its NEWS2 `score`, who
    entered it when, whether `late` (`entries.Session.late`), and the seq of the event that tells of it."""
    return {
        **NO_MEASURES, **values,  # the measures check_vitals gave, each one missing empty
        "session_id": session_id, "taken_at": iso(taken_at),
        "map": mean_arterial_pressure(values.get("sbp"), values.get("dbp")), "news2": orjson.dumps(score).decode(),
        "note": note, "source": source, "supersedes": supersedes, "reason": reason,
        "entered_at": iso(tx.now), "entered_by": tx.actor.user_id, "late": int(late),
        "seq": seq, "import_key": import_key,
    }


def new_record(tx: Transaction, row: dict, vitals_id: int) -> dict:
    """A row just inserted as the API shows it: current by construction, so shaped here, not read back."""
    stored = {k: row[k] for k in STORED if k in row} | {
        "id": vitals_id, "entered_by": tx.actor.username, "status": "current", "void_reason": None}
    return shape(stored)


def record(tx: Transaction, session_id: int, bodies: list, *, zone: tzinfo,
           idempotency_key: str | None = None) -> list[dict]:
    """Record one or more vitals sets entered by hand: all are checked before any is stored."""

    def check(session: entries.Session) -> list[dict]:
        prepared = []
        for index, body in enumerate(bodies):
            try:
                prepared.append(prepare(body, session=session, now=tx.now))
            except ApiError as error:
                if len(bodies) > 1:
                    error.fields = {f"{index}.{k}": v for k, v in error.fields.items()}
                    error.message = f"record {index}: {error.message}"
                raise
        return prepared

    return entries.enter(tx, KIND, session_id, bodies, zone=zone, key=idempotency_key, check=check,
                         insert=lambda tx, session, item: store(tx, session.id, item))


# A record as an import's vitals.batch event gives it: as stored, current, without empty fields.
BATCH_COLUMNS = ("id", "session_id", "taken_at") + MEASURES + (
    "map", "news2", "note", "source", "entered_at", "late", "seq")


def records_between(db: Database, first_id: int, last_id: int) -> list[dict]:
    """The records with ids first_id..last_id (one import's batch) as the batch's event shows them."""
    cursor = db.execute(
        f"SELECT {', '.join('v.' + c for c in BATCH_COLUMNS)}, COALESCE(u.username, 'system') FROM vitals v"
        " LEFT JOIN users u ON u.id = v.entered_by WHERE v.id BETWEEN ? AND ? ORDER BY v.id", (first_id, last_id))
    records = []
    for *row, username in cursor:
        record = shape({name: value for name, value in zip(BATCH_COLUMNS, row) if value is not None})
        record["entered_by"], record["status"] = username, "current"
        records.append(record)
    return records


def get(db: Database, vitals_id: int) -> dict:
    cursor = db.execute(f"SELECT {SELECT} WHERE v.id = ?", (vitals_id,))
    row = cursor.fetchone()
    if not row:
        raise NotFound(f"no vitals record {vitals_id}")
    return shape(dict(zip([d[0] for d in cursor.description], row)))


KIND = entries.Kind("vitals", "vitals.record", "vitals.recorded", get)


def shape(row: dict) -> dict:
    """A stored row as the API shows it."""
    for key in MEASURES + ("map",):
        value = row.get(key)
        if isinstance(value, float) and value.is_integer():
            row[key] = int(value)
    row["news2"] = json.loads(row["news2"]) if isinstance(row["news2"], str) else row["news2"]
    row["late"] = bool(row["late"])
    return row


def for_session(db: Database, session_id: int) -> list[dict]:
    """Every record of a session, originals and voids included, in clinical time order."""
    cursor = db.execute(f"SELECT {SELECT} WHERE v.session_id = ? ORDER BY v.taken_at, v.id", (session_id,))
    columns = [d[0] for d in cursor.description]
    return [shape(dict(zip(columns, row))) for row in cursor]


def history(db: Database, vitals_id: int) -> list[dict]:
    """The chain of versions this record belongs to, oldest first."""
    root = vitals_id
    while True:
        row = db.execute("SELECT supersedes FROM vitals WHERE id = ?", (root,)).fetchone()
        if not row:
            raise NotFound(f"no vitals record {vitals_id}")
        if row[0] is None:
            break
        root = row[0]
    chain, current = [], root
    while current is not None:
        chain.append(get(db, current))
        row = db.execute("SELECT id FROM vitals WHERE supersedes = ?", (current,)).fetchone()
        current = row[0] if row else None
    return chain


def amend(tx: Transaction, vitals_id: int, body: dict, *, zone: tzinfo) -> dict:
    """A corrected copy of a current record; the original stays, marked amended."""
    original = get(tx.db, vitals_id)
    session = entries.session_for(tx.db, original["session_id"], zone)
    if original["status"] != "current":
        raise Conflict(f"record {vitals_id} is {original['status']}; amend the current version")
    reason = body.get("reason")
    if not isinstance(reason, str):
        raise BadRequest("a reason is required to amend", {"reason": "is required"})
    if not reason.strip():
        raise ValidationFailed("a reason is required to amend", {"reason": "is required"})
    changes = {k: v for k, v in body.items() if k != "reason"}
    merged = {k: original[k] for k in MEASURES if original.get(k) is not None}
    merged |= {"taken_at": original["taken_at"], "note": original["note"]}
    if "temp_f" in changes:
        merged.pop("temp_c", None)
    merged |= changes
    merged = {k: v for k, v in merged.items() if v is not None}
    prepared = prepare(merged, session=session, now=tx.now)
    record = store(tx, original["session_id"], prepared, source=original["source"], supersedes=vitals_id,
                   reason=reason.strip())
    tx.audit("vitals.amend", "vitals", record["id"], session_id=original["session_id"],
             before=original, after=record)
    tx.event("vitals.amended", original["session_id"], {"record": record, "supersedes": vitals_id})
    return record


def void(tx: Transaction, vitals_id: int, reason) -> dict:
    """Mark a record entered in error: kept and shown struck through, out of trends and scores."""
    original = get(tx.db, vitals_id)
    sessions.check_writable(tx.db, original["session_id"])
    if original["status"] != "current":
        raise Conflict(f"record {vitals_id} is already {original['status']}")
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed("a reason is required to void", {"reason": "is required"})
    tx.insert("vitals_voids", {"vitals_id": vitals_id, "reason": reason.strip(), "entered_at": iso(tx.now),
                               "entered_by": tx.actor.user_id})
    record = get(tx.db, vitals_id)
    tx.audit("vitals.void", "vitals", vitals_id, session_id=original["session_id"], before=original, after=record)
    tx.event("vitals.voided", original["session_id"], {"id": vitals_id, "reason": reason.strip()})
    return record


def latest_current(db: Database, session_id: int) -> dict | None:
    row = db.execute("SELECT id FROM vitals_current WHERE session_id = ? ORDER BY taken_at DESC, id DESC LIMIT 1",
                     (session_id,)).fetchone()
    return get(db, row[0]) if row else None

