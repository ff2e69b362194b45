"""The central station's picture of the clinic: one tile per active session, as data.

The page renders this once; afterwards the browser keeps it current from the live
events, starting after `last_seq`. A tile carries what the dashboard shows and no
more of the patient than initials and the tail of the MRN.
"""
from __future__ import annotations

import json

from sqlite_utils import Database

from ..alerts import engine as alerts
from ..record import patients, sessions, side_effects
from ..store import events

TRENDS_KEPT = 200  # the latest current records per tile: enough for the trend and every latest value
TILE_VITALS = ("id", "taken_at", "hr", "sbp", "dbp", "spo2", "rr", "temp_c", "moaas", "consciousness", "news2",
               "entered_by")
MINE = (  # a nurse's chairs: sessions they created or wrote in
    "SELECT 1 WHERE EXISTS (SELECT 1 FROM sessions WHERE id = :session AND created_by = :user)"
    " OR EXISTS (SELECT 1 FROM vitals WHERE session_id = :session AND entered_by = :user)"
    " OR EXISTS (SELECT 1 FROM transitions WHERE session_id = :session AND entered_by = :user)"
    " OR EXISTS (SELECT 1 FROM side_effects WHERE session_id = :session AND entered_by = :user)")


def picture(db: Database, user: dict) -> dict:
    """Every active session's tile, and the seq the picture is current to (read first, so none is missed)."""
    last_seq = events.last_seq(db)
    return {"last_seq": last_seq, "user": {"username": user["username"], "role": user["role"]},
            "tiles": [tile(db, session_id, user) for session_id in sessions.list_ids(db, "active")]}


def tile(db: Database, session_id: int, user: dict) -> dict:
    session = sessions.get(db, session_id)
    patient = patients.get(db, session["patient_id"])
    return {
        "session": {k: session[k] for k in ("id", "chair", "state", "drug", "route", "planned_minutes")},
        "patient": {"initials": patients.initials(patient), "mrn_tail": patient["mrn"][-4:]},
        "timeline": sessions.timeline(sessions.transitions(db, session_id)),
        "vitals": recent_vitals(db, session_id),
        "moaas": [{"at": at, "score": total} for at, total in db.execute(
            "SELECT at, total FROM assessments WHERE session_id = ? AND instrument = 'moaas' ORDER BY at",
            (session_id,))],
        "side_effects": [e for e in side_effects.for_session(db, session_id) if not e["resolved_at"]],
        "alerts": alerts.listing(db, "active", session_id),
        "mine": user["role"] == "nurse" and bool(
            db.execute(MINE, {"session": session_id, "user": user["id"]}).fetchone()),
    }


def recent_vitals(db: Database, session_id: int) -> list[dict]:
    """The latest current records, oldest first, with only what a tile shows."""
    cursor = db.execute(
        "SELECT v.id, v.taken_at, v.hr, v.sbp, v.dbp, v.spo2, v.rr, v.temp_c, v.moaas, v.consciousness, v.news2,"
        " u.username FROM vitals_current v LEFT JOIN users u ON u.id = v.entered_by WHERE v.session_id = ?"
        " ORDER BY v.taken_at DESC, v.id DESC LIMIT ?", (session_id, TRENDS_KEPT))
    records = []
    for row in cursor:
        record = dict(zip(TILE_VITALS, row))
        record["news2"] = json.loads(record["news2"])
        for key in ("hr", "sbp", "dbp", "spo2", "rr"):
            if isinstance(record[key], float) and record[key].is_integer():
                record[key] = int(record[key])
        records.append(record)
    return records[::-1]
