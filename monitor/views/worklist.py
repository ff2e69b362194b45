"""What is waiting for the signed-in user (GET /api/worklist, /worklist and the header's count).

For a clinician, the records waiting for a signature (oldest first, with their age); for everyone,
the REMS forms due or overdue, the open alerts, and the active sessions whose vitals or discharge
score are due. Each part reads a partial index that holds only what is waiting (migration
YEARS_OF_RECORDS), so the worklist costs what it shows, however long the clinic has kept records.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlite_utils import Database

from ..record import patients, sessions
from ..rules import alert_rules, instruments, outcomes, rulesets
from ..store.paging import Order, keyset
from ..timeutil import iso, minutes_between, parse_stored
from . import lists, rems

SHOWN = 100  # rows of each part; the counts are of all
TO_SIGN_WHERE = ["signed_at IS NULL", "state IN ('discharged', 'aborted')"]  # the partial index sessions_to_sign
# The first term lets the partial index sessions_active (only the sessions not yet ended) answer it.
ACTIVE_WHERE = "state NOT IN ('discharged', 'aborted') AND state IN ('infusing', 'paused', 'recovery', 'ready')"
BEFORE_DOSE_WHERE = "state NOT IN ('discharged', 'aborted') AND state IN ('scheduled', 'baseline')"
RETURN_WINDOW_WEEKS = 8  # a course of six takes two to three weeks: older stops are no longer "not returned"
OLDEST_FIRST = Order(("listed_at", "id"), descending=False)
DISCHARGE_SCORES = tuple(k for k, spec in instruments.INSTRUMENTS.items() if spec.get("discharge_min"))


def worklist(db: Database, user: dict, now: datetime) -> dict:
    """Every part of the worklist, each with its rows (at most SHOWN) and its full count."""
    rules = rulesets.in_force(db)
    parts = {
        "to_sign": to_sign(db, now) if user["role"] == "clinician" else None,
        "rems_due": rems_due(db, now),
        "alerts": open_alerts(db),
        "due": care_due(db, now, rules),
        "not_returned": not_returned(db, now, rules["outcomes"]),
    }
    parts = {key: part for key, part in parts.items() if part is not None}
    return parts | {"count": sum(part["count"] for part in parts.values())}


def count(db: Database, user: dict, now: datetime) -> int:
    """The header's number: what `worklist` would list, counted without building it."""
    total = db.execute("SELECT COUNT(*) FROM sessions WHERE " + " AND ".join(rems.PENDING_WHERE)).fetchone()[0]
    total += db.execute("SELECT COUNT(*) FROM alerts WHERE state IN ('active', 'acknowledged')").fetchone()[0]
    if user["role"] == "clinician":
        total += db.execute("SELECT COUNT(*) FROM sessions WHERE " + " AND ".join(TO_SIGN_WHERE)).fetchone()[0]
    rules = rulesets.in_force(db)
    return total + len(care_due(db, now, rules)["items"]) + not_returned(db, now, rules["outcomes"])["count"]


def line(db: Database, session_id: int) -> dict:
    """A worklist row's session: who, where, what state, and when it started."""
    session = sessions.get(db, session_id)
    patient = patients.get(db, session["patient_id"])
    return {"session_id": session_id, "chair": session["chair"], "state": session["state"],
            "drug": session["drug"], "patient": {k: patient[k] for k in ("id", "mrn", "family_name", "given_name")}}


def to_sign(db: Database, now: datetime) -> dict:
    """Ended sessions without a signature, the longest waiting first, with how long since they ended."""
    rows, _ = keyset(db, "SELECT id FROM sessions", TO_SIGN_WHERE, [], OLDEST_FIRST, None, SHOWN)
    items = []
    for (session_id,) in rows:
        ended = db.execute("SELECT MIN(at) FROM transitions WHERE session_id = ? AND to_state IN"
                           " ('discharged', 'aborted')", (session_id,)).fetchone()[0]
        items.append(line(db, session_id) | {"ended_at": ended,
                                             "waiting_minutes": round(minutes_between(parse_stored(ended), now))})
    items.sort(key=lambda item: item["ended_at"])
    total = db.execute("SELECT COUNT(*) FROM sessions WHERE " + " AND ".join(TO_SIGN_WHERE)).fetchone()[0]
    return {"items": items, "count": total}


def rems_due(db: Database, now: datetime) -> dict:
    items, _ = rems.pending(db, now, None, SHOWN)
    total = db.execute("SELECT COUNT(*) FROM sessions WHERE " + " AND ".join(rems.PENDING_WHERE)).fetchone()[0]
    return {"items": items, "count": total}


def open_alerts(db: Database) -> dict:
    items, _ = lists.alert_page(db, "active", None, None, SHOWN)
    total = db.execute("SELECT COUNT(*) FROM alerts WHERE state IN ('active', 'acknowledged')").fetchone()[0]
    return {"items": items, "count": total}


def care_due(db: Database, now: datetime, rules: dict) -> dict:
    """Active sessions whose next vitals set is due by the schedule (CLINICAL.md §1), or that are in
    recovery without a discharge score that meets its criteria."""
    items = []
    for (session_id,) in db.execute(f"SELECT id FROM sessions WHERE {ACTIVE_WHERE} ORDER BY id"):
        session = sessions.get(db, session_id)
        if session["locked"]:
            continue
        for due in (vitals_due(db, session, now, rules), score_due(db, session)):
            if due:
                items.append(line(db, session_id) | due)
    for (session_id,) in db.execute(f"SELECT id FROM sessions WHERE {BEFORE_DOSE_WHERE} ORDER BY id"):
        due = outcomes_due(db, sessions.get(db, session_id), rules)
        if due:
            items.append(line(db, session_id) | due)
    items.sort(key=lambda item: item["due_at"])
    return {"items": items, "count": len(items)}


def vitals_due(db: Database, session: dict, now: datetime, rules: dict) -> dict | None:
    schedule = alert_rules.SCHEDULE_OF_STATE.get(session["state"])
    if schedule is None:
        return None
    every, overdue = (rules["vitals_overdue"][f"{schedule}_{k}"] for k in ("every", "overdue"))
    last = db.execute("SELECT MAX(taken_at) FROM vitals_current WHERE session_id = ?", (session["id"],)).fetchone()[0]
    if last is None:
        return {"what": "vitals", "due_at": iso(now), "overdue": True, "last_at": None}
    due_at = parse_stored(last) + timedelta(minutes=every)
    if due_at > now:
        return None
    return {"what": "vitals", "due_at": iso(due_at), "last_at": last,
            "overdue": parse_stored(last) + timedelta(minutes=overdue) < now}


def score_due(db: Database, session: dict) -> dict | None:
    """In recovery or ready, a discharge score (Aldrete, PADSS) meeting its criteria is due before discharge."""
    if session["state"] not in ("recovery", "ready"):
        return None
    recovery = sessions.first_entered(db, session["id"], "recovery")
    marks = ", ".join("?" for _ in DISCHARGE_SCORES)
    met = db.execute(f"SELECT 1 FROM assessments WHERE session_id = ? AND instrument IN ({marks})"
                     " AND meets_discharge_criteria = 1 AND at >= ? LIMIT 1",
                     (session["id"], *DISCHARGE_SCORES, recovery or "")).fetchone()
    if met:
        return None
    return {"what": "discharge score", "due_at": recovery, "overdue": session["state"] == "ready", "last_at": None}


def outcomes_due(db: Database, session: dict, rules: dict) -> dict | None:
    """Before the dose: the outcome measures the session's indication asks for and it has not scored."""
    asked = outcomes.asked_instruments(session["indication"], rules["outcomes"])
    scored = {row[0] for row in db.execute("SELECT DISTINCT instrument FROM assessments WHERE session_id = ?",
                                           (session["id"],))}
    missing = [name for name in asked if name not in scored]
    if not missing:
        return None
    titles = ", ".join(instruments.OUTCOMES[name]["title"].split(" (")[0] for name in missing)
    return {"what": f"{titles} before the infusion", "due_at": session["created_at"], "overdue": False,
            "last_at": None}


def not_returned(db: Database, now: datetime, settings: dict) -> dict:
    """Patients whose course stopped (CLINICAL.md §8): fewer than six infusions, none booked, the last more
    than 7 days ago; among the courses dosed in the last RETURN_WINDOW_WEEKS weeks, in one query (the
    first-dose index finds the patients, the patient index their sessions)."""
    since = iso(now - timedelta(weeks=RETURN_WINDOW_WEEKS))
    rows = db.execute(
        "SELECT patient_id, COUNT(first_dose_at), MAX(first_dose_at),"
        " SUM(first_dose_at IS NULL AND state NOT IN ('discharged', 'aborted')) FROM sessions"
        " WHERE patient_id IN (SELECT patient_id FROM sessions WHERE first_dose_at >= ?) GROUP BY patient_id",
        (since,)).fetchall()
    items = []
    for patient_id, given, last, booked in rows:
        found = outcomes.not_returned(parse_stored(last), given, bool(booked), now, settings)
        if found["not_returned"]:
            patient = patients.get(db, patient_id)
            items.append({"patient": {k: patient[k] for k in ("id", "mrn", "family_name", "given_name")},
                          "infusions_given": given, "course_infusions": settings["course_infusions"],
                          "last_given_at": last, "next_due_by": iso(found["next_due_by"]),
                          "days_since_last": found["days_since_last"], "not_returned": True})
    items.sort(key=lambda item: item["next_due_by"])
    return {"items": items[:SHOWN], "count": len(items)}
