"""Sessions: the state machine from check-in to discharge, its timeline and durations, signing.

State changes are rows in the insert-only `transitions` table; `sessions.state`
caches the last one. A signed session is locked: later writes get 409.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlite_utils import Database

from ..errors import Conflict, Forbidden, NeedsConfirmation, NotFound, ValidationFailed
from ..rules import alert_rules, rulesets, validation
from ..store.db import Transaction
from ..timeutil import iso, minutes_between, parse_stored

STATES = ("scheduled", "baseline", "infusing", "paused", "recovery", "ready", "discharged", "aborted")
FINAL = ("discharged", "aborted")
NEXT = {
    "scheduled": ("baseline",),
    "baseline": ("infusing",),
    "infusing": ("paused", "recovery"),
    "paused": ("infusing", "recovery"),
    "recovery": ("ready",),
    "ready": ("recovery", "discharged"),
}
COLUMNS = ("id", "patient_id", "chair", "drug", "route", "dose_mg", "dose_mg_per_kg", "planned_minutes",
           "indication", "series_number", "lot_number", "checklist", "state", "created_at")
MEDICATION_FLAGS = ("benzodiazepines", "sedative_hypnotics", "psychostimulants", "maois", "opioids",
                    "lamotrigine")


def allowed_next(state: str) -> tuple[str, ...]:
    """The states a session may move to from `state` (aborted from any non-final state)."""
    if state in FINAL:
        return ()
    return NEXT[state] + ("aborted",)


def create(tx: Transaction, body: dict) -> dict:
    patient = tx.execute("SELECT weight_kg FROM patients WHERE id = ?", (body["patient_id"],)).fetchone()
    if not patient:
        raise ValidationFailed("no such patient", {"patient_id": "no such patient"})
    problems = {}
    if not body["chair"].strip():
        problems["chair"] = "is required"
    for name, low, high in (("planned_minutes", 0, 240), ("series_number", 0, 100)):
        value = body.get(name)
        if value is not None and not low < value <= high:
            problems[name] = f"must be more than {low} and at most {high}"
    checklist = body.get("checklist") or {}
    for flag in checklist.get("medication_flags", []):
        if flag not in MEDICATION_FLAGS:
            problems["checklist"] = f"unknown medication flag {flag}"
    if problems:
        raise ValidationFailed("the session has invalid values", problems)
    dose_mg, per_kg = body.get("dose_mg"), body.get("dose_mg_per_kg")
    # The weight checked today, else the patient's: a checklist weight of 0 is refused, never replaced.
    weighed = checklist.get("weight_kg")
    weight = weighed if weighed is not None else patient[0]
    derived = (body["drug"] in validation.WEIGHT_DOSED and dose_mg is None and None not in (per_kg, weight)
               and validation.within(validation.DOSING["weight_kg"], weight)
               and validation.within(validation.DOSING["dose_mg_per_kg"], per_kg))
    if derived:
        dose_mg = round(per_kg * weight, 1)
    validation.check_dosing(weight, per_kg, dose_mg, body["drug"], derived=derived, confirm=body.get("confirm", False),
                            weight_field="checklist.weight_kg" if weighed is not None else "weight_kg")
    row = {
        "patient_id": body["patient_id"], "chair": body["chair"].strip(), "drug": body["drug"],
        "route": body["route"], "dose_mg": dose_mg, "dose_mg_per_kg": per_kg,
        "planned_minutes": body.get("planned_minutes"), "indication": body.get("indication"),
        "series_number": body.get("series_number"), "lot_number": body.get("lot_number"),
        "checklist": json.dumps(checklist, sort_keys=True), "state": "scheduled",
        "created_at": iso(tx.now), "created_by": tx.actor.user_id,
    }
    session_id = tx.insert("sessions", row)
    session = get(tx.db, session_id)
    tx.audit("session.create", "session", session_id, session_id=session_id, after=session)
    tx.event("session.created", session_id, session)
    return session


def get(db: Database, session_id: int) -> dict:
    row = db.execute(f"SELECT {', '.join(COLUMNS)} FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if not row:
        raise NotFound(f"no session {session_id}")
    session = dict(zip(COLUMNS, row))
    session["checklist"] = json.loads(session["checklist"])
    session["signature"] = signature(db, session_id)
    session["locked"] = session["signature"] is not None
    return session


def first_entered(db: Database, session_id: int, state: str) -> str | None:
    """When the session first entered `state` (its timeline entry), or None."""
    row = db.execute("SELECT at FROM transitions WHERE session_id = ? AND to_state = ? ORDER BY id LIMIT 1",
                     (session_id, state)).fetchone()
    return row[0] if row else None


LOCKED = "this session is signed and locked; add an addendum instead"


def check_writable(db: Database, session_id: int) -> None:
    """404 when the session is missing, 409 when it is signed: one query, for the hot save path."""
    row = db.execute("SELECT s.id, g.id FROM sessions s LEFT JOIN signatures g ON g.session_id = s.id"
                     " WHERE s.id = ?", (session_id,)).fetchone()
    if row is None:
        raise NotFound(f"no session {session_id}")
    if row[1] is not None:
        raise Conflict(LOCKED)


def require_writable(db: Database, session_id: int) -> dict:
    """The session, or 404 when missing and 409 when signed."""
    session = get(db, session_id)
    if session["locked"]:
        raise Conflict(LOCKED)
    return session


def list_ids(db: Database, state: str = "active") -> list[int]:
    if state == "all":
        sql, params = "SELECT id FROM sessions ORDER BY id", ()
    elif state == "active":
        sql, params = "SELECT id FROM sessions WHERE state NOT IN ('discharged', 'aborted') ORDER BY id", ()
    elif state in STATES:
        sql, params = "SELECT id FROM sessions WHERE state = ? ORDER BY id", (state,)
    else:
        raise ValidationFailed("unknown state filter", {"state": "must be active, all or a session state"})
    return [r[0] for r in db.execute(sql, params)]


def transitions(db: Database, session_id: int) -> list[dict]:
    cursor = db.execute(
        "SELECT t.from_state, t.to_state, t.at, t.reason, t.override, t.entered_at, u.username"
        " FROM transitions t LEFT JOIN users u ON u.id = t.entered_by WHERE t.session_id = ? ORDER BY t.id",
        (session_id,))
    keys = ("from", "to", "at", "reason", "override", "entered_at", "entered_by")
    return [dict(zip(keys, r)) | {"override": bool(r[4])} for r in cursor]


def timeline(steps: list[dict]) -> dict:
    """The first time each state was entered."""
    first: dict[str, str] = {}
    for step in steps:
        first.setdefault(step["to"], step["at"])
    return first


def durations(steps: list[dict]) -> dict:
    """Minutes spent infusing, paused, in recovery, waiting for discharge, observed and in total."""
    spent = {"infusing": 0.0, "paused": 0.0}
    for step, following in zip(steps, steps[1:]):
        if step["to"] in spent:
            spent[step["to"]] += minutes_between(parse_stored(step["at"]), parse_stored(following["at"]))
    first = timeline(steps)
    last = {step["to"]: step["at"] for step in steps}

    def between(start: str | None, end: str | None) -> float | None:
        if not start or not end:
            return None
        return round(minutes_between(parse_stored(start), parse_stored(end)), 1)

    infusion_over = "recovery" in first or "aborted" in first
    return {
        "infusion": round(spent["infusing"], 1) if infusion_over else None,
        "paused": round(spent["paused"], 1) if infusion_over else None,
        "recovery": between(first.get("recovery"), last.get("ready")),
        "discharge_wait": between(last.get("ready"), first.get("discharged")),
        "observation": between(first.get("infusing"), first.get("discharged")),
        "total": between(first.get("baseline"), first.get("discharged")),
    }


def baseline_vitals(db: Database, session_id: int, before: str | None = None) -> dict | None:
    """The last current BP before the infusion started (or before `before`): the BP-rise baseline."""
    start = before or first_entered(db, session_id, "infusing")
    sql = ("SELECT sbp, dbp, hr, taken_at FROM vitals_current WHERE session_id = ? AND sbp IS NOT NULL"
           + (" AND taken_at <= ?" if start else "") + " ORDER BY taken_at DESC, id DESC LIMIT 1")
    row = db.execute(sql, (session_id, start) if start else (session_id,)).fetchone()
    return dict(zip(("sbp", "dbp", "hr", "taken_at"), row)) if row else None


def transition(tx: Transaction, session_id: int, to: str, at: datetime, *, reason: str | None = None,
               confirm: bool = False, override: bool = False) -> dict:
    """Move the session to `to`, refusing illegal moves, unconfirmed high baselines and early discharge."""
    session = require_writable(tx.db, session_id)
    current = session["state"]
    if to not in STATES:
        raise ValidationFailed(f"unknown state {to}", {"to": f"must be one of {', '.join(STATES)}"})
    if to not in allowed_next(current):
        raise Conflict(f"a session cannot go from {current} to {to}")
    reason = (reason or "").strip() or None
    if to == "aborted" and not reason:
        raise ValidationFailed("a reason is required to abort", {"reason": "is required"})
    steps = transitions(tx.db, session_id)
    if steps and iso(at) < steps[-1]["at"]:
        raise ValidationFailed("the time is before the previous step", {"at": f"must not be before {steps[-1]['at']}"})
    rules = rulesets.in_force(tx.db)
    if to == "infusing" and current == "baseline":
        check_baseline(tx.db, session_id, iso(at), rules, confirm)
    if to == "discharged" and session["drug"] == "esketamine":
        check_esketamine_discharge(tx, steps, at, rules, override, reason)
    tx.insert("transitions", {"session_id": session_id, "from_state": current, "to_state": to, "at": iso(at),
                              "reason": reason, "override": int(override), "entered_at": iso(tx.now),
                              "entered_by": tx.actor.user_id})
    tx.execute("UPDATE sessions SET state = ? WHERE id = ?", (to, session_id))
    change = {"from": current, "to": to, "at": iso(at), "reason": reason, "override": override}
    tx.audit("session.transition", "session", session_id, session_id=session_id,
             before={"state": current}, after=change)
    tx.event("session.transitioned", session_id, change)
    return get(tx.db, session_id)


def check_baseline(db: Database, session_id: int, at: str, rules: dict, confirm: bool) -> None:
    baseline = baseline_vitals(db, session_id, before=at)
    finding = baseline and alert_rules.evaluate_baseline(baseline["sbp"], baseline["dbp"], rules)
    if finding and not confirm:
        raise NeedsConfirmation(f"baseline BP is high ({finding.message}); confirm to start the infusion",
                                {"confirm": f"baseline {finding.message}"})


def check_esketamine_discharge(tx: Transaction, steps: list[dict], at: datetime, rules: dict,
                               override: bool, reason: str | None) -> None:
    first_dose = timeline(steps).get("infusing")
    minimum = rules["early_discharge"]["minutes"]
    observed = minutes_between(parse_stored(first_dose), at) if first_dose else 0
    if observed >= minimum:
        return
    if not override:
        raise Conflict(f"esketamine needs {minimum} minutes of observation from the first dose; "
                       f"{observed:.0f} so far (a clinician may override with a reason)",
                       {"to": "early discharge"})
    if tx.actor.role != "clinician":
        raise Forbidden("only a clinician may override the esketamine observation time")
    if not reason:
        raise ValidationFailed("an override needs a reason", {"reason": "is required"})


def signature(db: Database, session_id: int) -> dict | None:
    row = db.execute("SELECT s.signed_at, u.username, s.meaning FROM signatures s JOIN users u"
                     " ON u.id = s.signed_by WHERE s.session_id = ?", (session_id,)).fetchone()
    return dict(zip(("signed_at", "signed_by", "meaning"), row)) if row else None


def sign(tx: Transaction, session_id: int, meaning: str) -> dict:
    """Lock the record under the clinician's name; the password was checked by the caller. Only a finished
    (discharged or aborted) session: a signed one takes no more writes, so it could never move on."""
    if tx.actor.role != "clinician":
        raise Forbidden("only a clinician may sign")
    state = require_writable(tx.db, session_id)["state"]
    if state not in FINAL:
        raise Conflict(f"only a discharged or aborted session can be signed; this one is {state}: "
                       "discharge or abort it first", {"state": f"is {state}"})
    if not meaning.strip():
        raise ValidationFailed("state what the signature means", {"meaning": "is required"})
    tx.insert("signatures", {"session_id": session_id, "signed_at": iso(tx.now),
                             "signed_by": tx.actor.user_id, "meaning": meaning.strip()})
    sig = signature(tx.db, session_id)
    tx.audit("session.sign", "session", session_id, session_id=session_id, after=sig)
    tx.event("session.signed", session_id, sig)
    return get(tx.db, session_id)
