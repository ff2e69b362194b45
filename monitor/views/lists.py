"""The API's lists, a page at a time: sessions, alerts, patients, audit entries, users.

Each list sorts on an index (migration YEARS_OF_RECORDS) and pages with `store.paging.keyset`,
so a page costs the same in year five as in week one. `after` is the key the last page ended
on; each function returns (items, the key to continue after, or None at the end).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, tzinfo

from sqlite_utils import Database

from ..alerts import engine as alerts
from ..errors import BadRequest, ValidationFailed
from ..record import patients, sessions
from ..store.migrations import RANK
from ..store.paging import Order, keyset
from ..timeutil import iso, parse
from . import session_record

SESSIONS_ORDER = Order(("listed_at", "id"))  # newest first: first dose, else when it was scheduled
ALERTS_ORDER = Order((RANK, "raised_at", "id"))  # highest priority first, then the newest
PATIENTS_ORDER = Order(("family_name", "given_name", "id"), descending=False)
AUDIT_ORDER = Order(("id",))
USERS_ORDER = Order(("username", "id"), descending=False)
Page = tuple[list[dict], list | None]


def session_filters(args: dict, zone: tzinfo) -> tuple[list[str], list]:
    """SQL conditions for the filters of GET /api/sessions and /sessions, which combine (AND)."""
    where, params = [], []
    state = args.get("state") or "active"
    if state == "active":
        where.append("state NOT IN ('discharged', 'aborted')")
    elif state in sessions.STATES:
        where.append("state = ?")
        params.append(state)
    elif state != "all":
        raise ValidationFailed("unknown state filter", {"state": "must be active, all or a session state"})
    if args.get("from"):
        where.append("listed_at >= ?")
        params.append(iso(day_or_time(args["from"], "from", zone)))
    if args.get("to"):
        end = day_or_time(args["to"], "to", zone)
        where.append("listed_at < ?" if len(args["to"].strip()) == 10 else "listed_at <= ?")
        params.append(iso(end + timedelta(days=1) if len(args["to"].strip()) == 10 else end))
    if args.get("patient_id") is not None:
        where.append("patient_id = ?")
        params.append(whole_number(args["patient_id"], "patient_id"))
    if args.get("patient", "").strip():
        condition, values = patient_match(args["patient"])
        where.append(f"patient_id IN (SELECT id FROM patients WHERE {condition})")
        params += values
    if args.get("chair"):
        where.append("chair = ?")
        params.append(args["chair"].strip())
    if args.get("signed"):
        if args["signed"] not in ("true", "false"):
            raise BadRequest("signed must be true or false", {"signed": "must be true or false"})
        where.append("signed_at IS NOT NULL" if args["signed"] == "true" else "signed_at IS NULL")
    return where, params


def day_or_time(text: str, field: str, zone: tzinfo) -> datetime:
    """A clinic day (YYYY-MM-DD, from its midnight) or an ISO 8601 time."""
    try:
        return parse(text if len(text.strip()) != 10 else text.strip() + "T00:00:00", zone)
    except ValueError:
        raise BadRequest(f"{field} must be a date or an ISO 8601 time",
                         {field: "must be a date YYYY-MM-DD or an ISO 8601 time"}) from None


def whole_number(text: str, field: str) -> int:
    """An id from the query: 0 up to SQLite's largest integer, else a bad request."""
    try:
        value = int(text)
    except ValueError:
        raise BadRequest(f"{field} must be a whole number", {field: "must be a whole number"}) from None
    if not 0 <= value < 2**63:
        raise BadRequest(f"{field} is out of range", {field: "out of range"})
    return value


def session_page(db: Database, args: dict, zone: tzinfo, after: list | None, limit: int) -> Page:
    """Sessions, newest first, each as its summary line (session, patient, timeline, latest vitals)."""
    where, params = session_filters(args, zone)
    rows, last = keyset(db, "SELECT id FROM sessions", where, params, SESSIONS_ORDER, after, limit)
    return [session_record.session_summary(db, row[0]) for row in rows], last


def alert_page(db: Database, state: str, session_id: int | None, after: list | None, limit: int) -> Page:
    """Alerts, highest priority first; `active` is every alert not yet cleared."""
    if state not in ("active", "all"):
        raise ValidationFailed("state must be active or all", {"state": "must be active or all"})
    where, params = (["state != 'cleared'"] if state == "active" else []), []
    if session_id is not None:
        where.append("session_id = ?")
        params.append(session_id)
    rows, last = keyset(db, f"SELECT {', '.join(alerts.COLUMNS)} FROM alerts", where, params, ALERTS_ORDER,
                        after, limit)
    return [alerts.shape(row) for row in rows], last


def patient_match(query: str) -> tuple[str, list]:
    """SQL for "the MRN or name holds `query`": on the trigram index from three letters on; a shorter
    search (which matches a large share of patients anyway) reads the patients with LIKE."""
    text = query.strip()
    if len(text) >= 3:
        return "id IN (SELECT rowid FROM patients_search WHERE patients_search MATCH ?)", [
            '"' + text.replace('"', '""') + '"']
    like = f"%{text}%"
    return ("(mrn LIKE ? OR family_name LIKE ? OR given_name LIKE ? OR (given_name || ' ' || family_name) LIKE ?)",
            [like] * 4)


def patient_page(db: Database, query: str, after: list | None, limit: int) -> Page:
    """Patients whose MRN or name holds `query`, by family name."""
    where, params = [], []
    if query.strip():
        condition, params = patient_match(query)
        where = [condition]
    rows, last = keyset(db, f"SELECT {', '.join(patients.COLUMNS)} FROM patients", where, params, PATIENTS_ORDER,
                        after, limit)
    return [dict(zip(patients.COLUMNS, row)) for row in rows], last


AUDIT_COLUMNS = ("id", "at", "actor", "action", "entity", "entity_id", "session_id", "before", "after")


def audit_page(db: Database, session_id: int | None, after: list | None, limit: int) -> Page:
    """Audit entries, the newest first."""
    where, params = (["session_id = ?"], [session_id]) if session_id is not None else ([], [])
    rows, last = keyset(db, f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit", where, params, AUDIT_ORDER,
                        after, limit)
    entries = []
    for values in rows:
        entry = dict(zip(AUDIT_COLUMNS, values))
        for key in ("before", "after"):
            entry[key] = json.loads(entry[key]) if entry[key] else None
        entries.append(entry)
    return entries, last


def user_page(db: Database, after: list | None, limit: int) -> Page:
    columns = ("id", "username", "role", "disabled", "created_at")
    rows, last = keyset(db, f"SELECT {', '.join(columns)} FROM users", [], [], USERS_ORDER, after, limit)
    return [dict(zip(columns, row)) for row in rows], last

