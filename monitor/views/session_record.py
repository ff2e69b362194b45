"""The whole record of a session, and a patient's treatment series, as the API and pages show them."""
from __future__ import annotations

from sqlite_utils import Database

from ..alerts import engine as alerts
from ..record import assessments, notes, patients, sessions, side_effects, vitals
from ..rules import outcomes, rulesets


def session_record(db: Database, session_id: int) -> dict:
    """Patient, state, timeline, durations and every clinical entry of one session."""
    session = sessions.get(db, session_id)
    steps = sessions.transitions(db, session_id)
    record = session | {
        "patient": patients.get(db, session["patient_id"]),
        "transitions": steps,
        "timeline": sessions.timeline(steps),
        "durations": sessions.durations(steps),
        "allowed_transitions": list(sessions.allowed_next(session["state"])) if not session["locked"] else [],
        "baseline": sessions.baseline_vitals(db, session_id),
        "vitals": vitals.for_session(db, session_id),
        "side_effects": side_effects.for_session(db, session_id),
        "assessments": assessments.for_session(db, session_id),
        "notes": notes.for_session(db, session_id),
        "alerts": alerts.for_session(db, session_id),
        "outcomes_asked": outcomes.asked_instruments(session["indication"], rulesets.in_force(db)["outcomes"]),
    }
    return record


def session_summary(db: Database, session_id: int) -> dict:
    """One line of a session list: the session, its patient and its latest current vitals."""
    session = sessions.get(db, session_id)
    steps = sessions.transitions(db, session_id)
    return session | {
        "patient": patients.get(db, session["patient_id"]),
        "timeline": sessions.timeline(steps),
        "latest_vitals": vitals.latest_current(db, session_id),
    }


def treatment_series(db: Database, patient_id: int) -> dict:
    """A patient and the course of their sessions, with per-session figures for the series view."""
    patient = patients.get(db, patient_id)
    ids = [r["id"] for r in db["sessions"].rows_where("patient_id = ?", [patient_id], order_by="series_number, id",
                                                       select="id")]
    return patient | {"sessions": [series_row(db, session_id) for session_id in ids]}


SEVERITY_RANK = {"mild": 1, "moderate": 2, "severe": 3}


def series_row(db: Database, session_id: int) -> dict:
    """Dose, peak BP and its rise over baseline, worst side effect and time from infusion end to ready."""
    session = sessions.get(db, session_id)
    steps = sessions.transitions(db, session_id)
    line = sessions.timeline(steps)
    baseline = sessions.baseline_vitals(db, session_id)
    peak = next(db["vitals_current"].rows_where(
        "session_id = ? AND sbp IS NOT NULL AND taken_at >= COALESCE(?, '')", [session_id, line.get("infusing")],
        order_by="sbp DESC, taken_at", select="sbp, dbp", limit=1), None)
    effects = side_effects.for_session(db, session_id)
    worst = max(effects, key=lambda e: (SEVERITY_RANK[e["severity"]], e["serious"]), default=None)
    durations = sessions.durations(steps)
    return {
        "id": session_id, "series_number": session["series_number"], "drug": session["drug"],
        "route": session["route"], "state": session["state"], "dose_mg": session["dose_mg"],
        "dose_mg_per_kg": session["dose_mg_per_kg"], "started_at": line.get("infusing"),
        "baseline_sbp": baseline and baseline["sbp"], "baseline_dbp": baseline and baseline["dbp"],
        "peak_sbp": peak and peak["sbp"], "peak_dbp": peak and peak["dbp"],
        "sbp_rise": peak["sbp"] - baseline["sbp"] if peak and baseline else None,
        "dbp_rise": peak["dbp"] - baseline["dbp"] if peak and baseline and peak["dbp"] is not None
        and baseline["dbp"] is not None else None,
        "worst_side_effect": worst and {"kind": worst["kind"], "severity": worst["severity"]},
        "recovery_minutes": durations["recovery"],
        "signed": session["locked"],
    }
