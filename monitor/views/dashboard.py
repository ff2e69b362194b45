"""The central station's picture of the clinic: one tile per active session, as data.

The page renders this once; afterwards the browser keeps it current from the live
events, starting after `last_seq`. A tile carries what the dashboard shows and no
more of the patient than initials and the tail of the MRN.
"""
from __future__ import annotations

import json

from sqlite_utils import Database

from ..alerts import engine as alerts
from ..record import patients, sessions, shifts, side_effects
from ..store import events

TRENDS_KEPT = 200  # the latest current records per tile: enough for the trend and every latest value
TILE_VITALS = ("id", "taken_at", "hr", "sbp", "dbp", "spo2", "rr", "temp_c", "moaas", "consciousness", "news2",
               "entered_by")
SESSION_FIELDS = ("id", "chair", "state", "drug", "route", "planned_minutes")
# The active sessions, read from their partial index (the planner would otherwise walk every session's state).
ACTIVE = "SELECT id FROM sessions INDEXED BY sessions_active WHERE state NOT IN ({})".format(
    ", ".join(f"'{s}'" for s in sessions.FINAL))
MINE = (  # a nurse's chairs: active sessions they created or wrote in
    f"SELECT s.id FROM sessions s WHERE s.id IN ({ACTIVE}) AND (s.created_by = :user"
    " OR EXISTS (SELECT 1 FROM vitals WHERE session_id = s.id AND entered_by = :user)"
    " OR EXISTS (SELECT 1 FROM transitions WHERE session_id = s.id AND entered_by = :user)"
    " OR EXISTS (SELECT 1 FROM side_effects WHERE session_id = s.id AND entered_by = :user))")


def picture(db: Database, user: dict) -> dict:
    """Every active session's tile, and the seq the picture is current to (read first, so none is missed).

    Built in the same few queries however many chairs are busy: each reads what every tile needs at once."""
    last_seq = events.last_seq(db)
    tiles = {row[0]: tile(row) for row in db.execute(
        f"SELECT {', '.join('s.' + f for f in SESSION_FIELDS)}, p.given_name, p.family_name, p.mrn"
        f" FROM sessions s JOIN patients p ON p.id = s.patient_id WHERE s.id IN ({ACTIVE}) ORDER BY s.id")}
    for session_id, state, at in db.execute(
            f"SELECT session_id, to_state, at FROM transitions WHERE session_id IN ({ACTIVE}) ORDER BY id"):
        tiles[session_id]["timeline"].setdefault(state, at)
    for session_id, record in recent_vitals(db):
        tiles[session_id]["vitals"].append(record)
    for session_id, at, total in db.execute(
            f"SELECT session_id, at, total FROM assessments WHERE session_id IN ({ACTIVE})"
            " AND instrument = 'moaas' ORDER BY at"):
        tiles[session_id]["moaas"].append({"at": at, "score": total})
    for effect in side_effects.unresolved(db, ACTIVE):
        tiles[effect["session_id"]]["side_effects"].append(effect)
    for alert in alerts.listing(db, "active"):
        if alert["session_id"] in tiles:
            tiles[alert["session_id"]]["alerts"].append(alert)
    if user["role"] == "nurse":
        for (session_id,) in db.execute(MINE, {"user": user["id"]}):
            tiles[session_id]["mine"] = True
    return {"last_seq": last_seq, "user": {"username": user["username"], "role": user["role"],
                                           "chairs": shifts.chairs_of(db, user["id"])},
            "tiles": list(tiles.values())}


def tile(row) -> dict:
    """A tile from its session's row, the rest filled in by `picture`."""
    session = dict(zip(SESSION_FIELDS, row))
    given, family, mrn = row[len(SESSION_FIELDS):]
    return {"session": session,
            "patient": {"initials": patients.initials({"given_name": given, "family_name": family}),
                        "mrn_tail": mrn[-4:]},
            "timeline": {}, "vitals": [], "moaas": [], "side_effects": [], "alerts": [], "mine": False}


def recent_vitals(db: Database):
    """(session id, record) of each active session's latest current records, oldest first, with only what a
    tile shows; the records of one session come together."""
    cursor = db.execute(
        "SELECT v.session_id, v.id, v.taken_at, v.hr, v.sbp, v.dbp, v.spo2, v.rr, v.temp_c, v.moaas,"
        " v.consciousness, v.news2, u.username FROM sessions s JOIN vitals_current v ON v.id IN"
        " (SELECT c.id FROM vitals_current c WHERE c.session_id = s.id ORDER BY c.taken_at DESC, c.id DESC LIMIT ?)"
        f" LEFT JOIN users u ON u.id = v.entered_by WHERE s.id IN ({ACTIVE})"
        " ORDER BY v.session_id, v.taken_at, v.id", (TRENDS_KEPT,))
    for session_id, *row in cursor:
        record = dict(zip(TILE_VITALS, row))
        record["news2"] = json.loads(record["news2"])
        for key in ("hr", "sbp", "dbp", "spo2", "rr"):
            if isinstance(record[key], float) and record[key].is_integer():
                record[key] = int(record[key])
        yield session_id, record
