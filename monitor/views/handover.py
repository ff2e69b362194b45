"""The handover sheet (/handover): every chair on one page at the change of shift.

One block per active session and per session ended since the shift began: who (initials and MRN
tail), what was given, where it stands and for how long, the latest vitals with their age and
direction, NEWS2, what is open (side effects with what was given, alerts), the notes and escalations
of the shift, and what is due next with its time. "Due next" follows the clinic's schedule in the
rule set in force (vitals every 10 minutes infusing, 15 in recovery), the esketamine REMS
checkpoints (`views.rems`), the outcome measures the session asks for before dosing, a discharge
score in recovery, and a signature once the session has ended.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlite_utils import Database

from ..alerts import engine as alerts
from ..record import assessments, notes, patients, sessions, shifts, side_effects, vitals
from ..rules import instruments, outcomes, rulesets
from ..rules.alert_rules import SCHEDULE_OF_STATE
from ..store import events
from ..timeutil import iso, minutes_between, parse_stored
from . import rems

MEASURES = ("hr", "sbp", "dbp", "spo2", "rr", "temp_c", "moaas")
DISCHARGE_SCORES = ("aldrete", "padss")
DISCHARGE_SCORE = "Discharge score (Aldrete or PADSS ≥ 9)"
BEFORE_DOSING = ("scheduled", "baseline")


def handover(db: Database, now: datetime, since: datetime) -> dict:
    """The sheet as data, current to `last_seq` (read first, so the page misses no later event)."""
    last_seq = events.last_seq(db)
    rules = rulesets.in_force(db)
    ids = on_the_sheet(db, iso(since))
    blocks = [block(db, session_id, now, iso(since), rules) for session_id in ids]
    return {"since": iso(since), "now": iso(now), "last_seq": last_seq,
            "blocks": sorted(blocks, key=lambda b: (b["ended_at"] is not None, shifts.chair_order(b["chair"]),
                                                    b["id"]))}


def on_the_sheet(db: Database, since: str) -> list[int]:
    """Active sessions, and those that ended (discharged or aborted) at or after `since`."""
    marks = ", ".join("?" for _ in sessions.FINAL)
    rows = db.execute(
        f"SELECT id FROM sessions WHERE state NOT IN ({marks}) UNION SELECT session_id FROM transitions"
        f" WHERE to_state IN ({marks}) AND at >= ? ORDER BY 1", sessions.FINAL + sessions.FINAL + (since,))
    return [r[0] for r in rows]


def block(db: Database, session_id: int, now: datetime, since: str, rules: dict) -> dict:
    session = sessions.get(db, session_id)
    patient = patients.get(db, session["patient_id"])
    steps = sessions.transitions(db, session_id)
    line = sessions.timeline(steps)
    state_since = steps[-1]["at"] if steps else session["created_at"]
    current = [v for v in vitals.for_session(db, session_id) if v["status"] == "current"]
    scores = assessments.for_session(db, session_id)
    ended = line.get("discharged") or line.get("aborted")
    found = {
        "id": session_id, "chair": session["chair"], "initials": patients.initials(patient),
        "mrn_tail": patient["mrn"][-4:], "drug": session["drug"], "route": session["route"],
        "dose_mg": session["dose_mg"], "dose_mg_per_kg": session["dose_mg_per_kg"],
        "state": session["state"], "state_since": state_since, "minutes_in_state": minutes(state_since, now),
        "first_dose_at": line.get("infusing"), "minutes_since_first_dose": minutes(line.get("infusing"), now),
        "ended_at": ended,
        "vitals": latest_vitals(current, now),
        "news2": current[-1]["news2"] if current else None,
        "side_effects": [e for e in side_effects.for_session(db, session_id) if not e["resolved_at"]],
        "alerts": alerts.listing(db, "active", session_id),
        "notes": [n for n in notes.for_session(db, session_id) if n["at"] >= since],
    }
    found["due"] = due_items(session, steps, current, scores, sessions.signature(db, session_id), rules, now)
    found["next"] = found["due"][0] if found["due"] else None
    return found


def minutes(start: str | None, now: datetime) -> int | None:
    return None if not start else int(minutes_between(parse_stored(start), now))


def latest_vitals(current: list[dict], now: datetime) -> dict | None:
    """Each measure's latest value, its age in minutes and its direction since the reading before it."""
    if not current:
        return None
    values = {}
    for measure in MEASURES:
        taken = [v for v in current if v.get(measure) is not None]
        if not taken:
            continue
        latest, previous = taken[-1], (taken[-2] if len(taken) > 1 else None)
        values[measure] = {"value": latest[measure], "taken_at": latest["taken_at"],
                           "age_minutes": minutes(latest["taken_at"], now),
                           "direction": direction(latest[measure], previous and previous[measure])}
    return {"taken_at": current[-1]["taken_at"], "age_minutes": minutes(current[-1]["taken_at"], now),
            "values": values}


def direction(latest, previous) -> str | None:
    if previous is None:
        return None
    return "up" if latest > previous else "down" if latest < previous else "same"


# What is due next

def due_items(session: dict, steps: list[dict], current: list[dict], scores: list[dict], signature: dict | None,
              rules: dict, now: datetime) -> list[dict]:
    """Everything due for the session, the soonest first, each with its time and whether it is overdue."""
    line = sessions.timeline(steps)
    state_since = steps[-1]["at"] if steps else session["created_at"]
    found = [vitals_due(session["state"], state_since, current, rules)]
    found += scores_due(session, line, state_since, scores, rules)
    if session["drug"] == "esketamine" and session["state"] not in sessions.FINAL:
        found += rems_due(line, current, now, rules)
    if session["state"] in sessions.FINAL and signature is None:
        found.append(item("signature", "Sign the record", line.get("discharged") or line.get("aborted")))
    due = sorted((d for d in found if d), key=lambda d: d["due_at"])
    return [d | {"overdue": parse_stored(d["due_at"]) < now} for d in due]


def item(what: str, label: str, due_at: str | datetime) -> dict:
    return {"what": what, "label": label, "due_at": due_at if isinstance(due_at, str) else iso(due_at)}


def vitals_due(state: str, state_since: str, current: list[dict], rules: dict) -> dict | None:
    """The next vitals on the state's schedule: baseline vitals before dosing, then every 10 or 15 minutes."""
    if state == "baseline":
        return None if any(v["taken_at"] >= state_since for v in current) else item(
            "vitals", "Baseline vitals", state_since)
    schedule = SCHEDULE_OF_STATE.get(state)
    if schedule is None:
        return None
    every = rules["vitals_overdue"][f"{schedule}_every"]
    last = current[-1]["taken_at"] if current else state_since
    return item("vitals", f"Vitals (every {every:g} min)", parse_stored(last) + timedelta(minutes=every))


def scores_due(session: dict, line: dict, state_since: str, scores: list[dict], rules: dict) -> list[dict]:
    """The outcome measures asked before dosing, and a discharge score in recovery until one meets criteria."""
    found = []
    if session["state"] in BEFORE_DOSING:
        taken = {s["instrument"] for s in scores}
        asked = outcomes.asked_instruments(session["indication"], rules["outcomes"])
        found += [item("score", f"{instruments.INSTRUMENTS[name]['title']} before dosing", state_since)
                  for name in asked if name not in taken]
    if session["state"] == "recovery":
        began = line["recovery"]
        met = any(s["instrument"] in DISCHARGE_SCORES and s["meets_discharge_criteria"] and s["at"] >= began
                  for s in scores)
        if not met:
            every = rules["vitals_overdue"]["recovery_every"]
            found.append(item("score", DISCHARGE_SCORE, parse_stored(began) + timedelta(minutes=every)))
    return found


def rems_due(line: dict, current: list[dict], now: datetime, rules: dict) -> list[dict]:
    """The next REMS blood pressure not yet taken, and the end of the two-hour observation."""
    first_dose = line.get("infusing")
    points = rems.checkpoints(first_dose, None, current, now)
    found = [item("rems", point["label"], point["due_at"] or line.get("baseline") or iso(now))
             for point in points if point["status"] == "due"][:1]
    if first_dose:
        allowed = rems.observation(first_dose, None, None, now, rules["early_discharge"]["minutes"])
        if parse_stored(allowed["discharge_allowed_at"]) > now:
            found.append(item("rems", "REMS observation ends", allowed["discharge_allowed_at"]))
    return found
