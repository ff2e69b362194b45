"""Esketamine REMS monitoring (CLINICAL.md §1): the three blood pressures and the observation time.

The programme asks for a BP before dosing, about 40 minutes after, and before discharge,
and at least two hours of observation from the first dose. The windows are data; the
functions only pick the reading that answers each checkpoint.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import NotFound
from ..record import patients, sessions
from ..record import rems as rems_record
from ..record.rems import NOT_ESKETAMINE, submission
from ..rules import alert_rules, instruments, rulesets
from ..store.paging import Order, keyset
from ..timeutil import iso, minutes_between, parse_stored
from . import session_record


@dataclass(frozen=True)
class Checkpoint:
    """A BP the programme asks for: taken `start`..`end` minutes from the first dose."""
    key: str
    label: str
    start: float | None  # None: any time before `end`
    end: float | None  # None: until discharge
    target: float | None = None  # pick the reading nearest this minute; else the latest in the window


CHECKPOINTS = (
    Checkpoint("pre_dose", "Pre-dose BP", None, 0),
    Checkpoint("forty_minutes", "BP about 40 minutes after dosing", 30, 55, target=40),
    Checkpoint("pre_discharge", "Pre-discharge BP", 55, None),
)


def checkpoints(first_dose: str | None, discharged: str | None, readings: list[dict], now: datetime) -> list[dict]:
    """Each checkpoint with the reading that answers it and its status: done, due or missed."""
    dose = parse_stored(first_dose) if first_dose else None
    bp = [r for r in readings if r.get("sbp") is not None and r.get("status", "current") == "current"]
    return [answer(point, dose, parse_stored(discharged) if discharged else None, bp, now) for point in CHECKPOINTS]


def answer(point: Checkpoint, dose: datetime | None, discharged: datetime | None, bp: list[dict],
           now: datetime) -> dict:
    """One checkpoint: the reading taken inside its window, when it is due, and whether it was missed."""
    if dose is None:
        inside = [r for r in bp if point.start is None]
        due_at = None
    else:
        inside = [r for r in bp if within(point, minutes_between(dose, parse_stored(r["taken_at"])), discharged, r)]
        due_at = iso(dose + timedelta(minutes=point.target or point.start or 0))
    reading = pick(point, dose, inside)
    closes = window_close(point, dose, discharged)
    status = "done" if reading else ("missed" if closes is not None and closes <= now else "due")
    return {"key": point.key, "label": point.label, "due_at": due_at, "status": status,
            "reading": reading and {k: reading.get(k) for k in ("sbp", "dbp", "taken_at")}}


def within(point: Checkpoint, minute: float, discharged: datetime | None, reading: dict) -> bool:
    if point.start is not None and minute < point.start:
        return False
    if point.end is not None and minute > point.end:
        return False
    return discharged is None or parse_stored(reading["taken_at"]) <= discharged


def pick(point: Checkpoint, dose: datetime | None, inside: list[dict]) -> dict | None:
    if not inside:
        return None
    if point.target is None or dose is None:
        return max(inside, key=lambda r: r["taken_at"])
    return min(inside, key=lambda r: abs(minutes_between(dose, parse_stored(r["taken_at"])) - point.target))


def window_close(point: Checkpoint, dose: datetime | None, discharged: datetime | None) -> datetime | None:
    """When the checkpoint can no longer be met: its window's end, or discharge for the last one."""
    if dose is None:
        return None
    if point.end is None:
        return discharged
    return dose + timedelta(minutes=point.end)


def observation(first_dose: str | None, ready: str | None, discharged: str | None, now: datetime,
                minimum_minutes: float) -> dict:
    """Minutes observed since the first dose, when discharge is first allowed, and minutes to readiness."""
    if not first_dose:
        return {"observed_minutes": None, "discharge_allowed_at": None, "ready_after_minutes": None,
                "minimum_minutes": minimum_minutes}
    dose = parse_stored(first_dose)
    end = parse_stored(discharged) if discharged else now
    return {
        "observed_minutes": round(minutes_between(dose, end), 1),
        "discharge_allowed_at": iso(dose + timedelta(minutes=minimum_minutes)),
        "ready_after_minutes": round(minutes_between(dose, parse_stored(ready)), 1) if ready else None,
        "minimum_minutes": minimum_minutes,
    }


# The Patient Monitoring Form (CLINICAL.md §1): what it asks, from the session's record.

DUE_DAYS = alert_rules.REMS_FORM_DUE_DAYS  # the form is due within 7 days of the session
DEVICE_MG = 28  # one nasal spray device


def monitoring_form(db, session_id: int, now: datetime, provider: dict | None = None) -> dict:
    """Every field of the Spravato REMS Patient Monitoring Form (CLINICAL.md §9) for one esketamine session:
    filled from the record where it knows it, the clinic's `provider` (name, certification) from its
    settings, and the rest answered on the form (`asked` names what is still unanswered)."""
    form = record_fields(db, session_id, now)
    whole = form.pop("whole")
    given = rems_record.answers(db, session_id)
    known = {name for name, column in rems_record.ASKED.items() if column and whole[column] is not None}
    if form["ready_to_leave_minutes"] is not None:
        known.add("ready_to_leave_minutes")
    answered = {name: given[name]["value"] for name in given if name not in known}
    form["dose"]["mg"] = form["dose"]["mg"] if "dose_mg" in known else answered.get("dose_mg")
    form["dose"]["devices"] = devices(form["dose"]["mg"])
    form["dose"]["lot_number"] = form["dose"]["lot_number"] if "lot_number" in known else answered.get("lot_number")
    if "ready_to_leave_minutes" not in known:
        form["ready_to_leave_minutes"] = answered.get("ready_to_leave_minutes")
    form["enrolled_in_rems"] = answered.get("enrolled_in_rems")
    form["answers"] = {name: given[name] for name in answered}
    form["known"] = sorted(known)  # asked fields the record fills, so never asked
    form["asked"] = [name for name in rems_record.ASKED if name not in known and answered.get(name) is None]
    form["provider"] = provider or {"name": None, "certification": None}
    form["days_left"] = days_left(form["due_date"], now)
    return form


def days_left(due: str | None, now: datetime) -> int | None:
    """Whole days until the form's due date (0 on the day, negative when overdue)."""
    return None if due is None else (datetime.fromisoformat(due).date() - now.date()).days


REMS_MEDICINES = ("benzodiazepines", "sedative_hypnotics", "psychostimulants", "maois", "opioids")


def concomitant_medicines(checklist: dict) -> dict:
    """Yes or no for each medicine class the form asks about, from the check-in checklist (None each when
    the checklist did not record the medication flags)."""
    if "medication_flags" not in checklist:
        return dict.fromkeys(REMS_MEDICINES)
    return {name: name in checklist["medication_flags"] for name in REMS_MEDICINES}


def first_treatment(db, whole: dict) -> bool:
    """No esketamine session of this patient was dosed before this one."""
    row = db.execute("SELECT 1 FROM sessions WHERE patient_id = ? AND drug = 'esketamine' AND id != ?"
                     " AND first_dose_at IS NOT NULL AND first_dose_at < COALESCE(?, '9999')",
                     (whole["patient_id"], whole["id"], whole["timeline"].get("infusing"))).fetchone()
    return row is None


def pulse_oximetry(vitals: list[dict]) -> dict:
    """Whether SpO2 was read during the session, how often, and its lowest value."""
    readings = [v for v in vitals if v.get("spo2") is not None]
    lowest = min(readings, key=lambda v: (v["spo2"], v["taken_at"]), default=None)
    return {"used": bool(readings), "readings": len(readings), "lowest": lowest and lowest["spo2"],
            "lowest_at": lowest and lowest["taken_at"]}


def serious_adverse_events(whole: dict) -> dict:
    """Side effects recorded as serious adverse events, as the form reports them."""
    serious = [e for e in whole["side_effects"] if e["serious"]]
    return {"observed": bool(serious), "events": [described(e) for e in serious]}


def record_fields(db, session_id: int, now: datetime) -> dict:
    """The form's fields the session's record fills."""
    whole = session_record.session_record(db, session_id)
    if whole["drug"] != "esketamine":
        raise NotFound(f"session {session_id} is a {whole['drug']} session: {NOT_ESKETAMINE}")
    rules = rulesets.in_force(db)
    line = whole["timeline"]
    first_dose, discharged = line.get("infusing"), line.get("discharged")
    ended = discharged or line.get("aborted")
    ready = last_time(whole["transitions"], "ready", ended)
    vitals = [v for v in whole["vitals"] if v["status"] == "current"]
    return {
        "session_id": session_id, "patient": whole["patient"], "state": whole["state"], "chair": whole["chair"],
        "session_date": (first_dose or whole["created_at"])[:10],
        "dose": {"mg": whole["dose_mg"], "devices": devices(whole["dose_mg"]), "route": whole["route"],
                 "lot_number": whole["lot_number"], "first_dose_at": first_dose},
        "blood_pressure": checkpoints(first_dose, discharged, vitals, now),
        "vitals_before_dosing": acceptability(vitals, first_dose or iso(now), None, rules),
        "vitals_at_end": acceptability(vitals, ended or iso(now), whole["baseline"], rules) if first_dose else None,
        "sedation": sedation(whole),
        "dissociation": dissociation(whole),
        "respiratory_depression": respiratory_depression(whole, vitals, rules),
        "observation": observation(first_dose, ready, discharged, now, rules["early_discharge"]["minutes"]),
        "total_monitored_minutes": minutes(first_dose, ended or iso(now)),
        "ready_to_leave_minutes": minutes(first_dose, ready),
        "discharged_at": discharged,
        "due_date": due_date(ended),
        "submission": submission(db, session_id),
        "first_treatment": first_treatment(db, whole),
        "concomitant_medicines": concomitant_medicines(whole["checklist"]),
        "pulse_oximetry": pulse_oximetry(vitals),
        "serious_adverse_events": serious_adverse_events(whole),
        "whole": whole,
    }


def last_time(transitions: list[dict], state: str, before: str | None) -> str | None:
    """When the session last entered `state` (before it ended)."""
    times = [t["at"] for t in transitions if t["to"] == state and (before is None or t["at"] <= before)]
    return times[-1] if times else None


def devices(dose_mg: float | None) -> int | None:
    return None if not dose_mg else round(dose_mg / DEVICE_MG)


def minutes(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return round(minutes_between(parse_stored(start), parse_stored(end)), 1)


def due_date(ended: str | None) -> str | None:
    """The form is due 7 days after the session ends (its date, clinic-independent: UTC)."""
    return (parse_stored(ended) + timedelta(days=DUE_DAYS)).date().isoformat() if ended else None


def latest_values(vitals: list[dict], until: str) -> tuple[dict, str | None]:
    """The latest current value of each measure taken at or before `until`, and when the last was taken."""
    values, taken = {}, None
    for reading in vitals:
        if reading["taken_at"] > until:
            break
        values.update({k: reading[k] for k in ("sbp", "dbp", "hr", "spo2", "rr", "temp_c", "consciousness", "moaas")
                       if reading.get(k) is not None})
        taken = reading["taken_at"]
    return values, taken


def acceptability(vitals: list[dict], until: str | None, baseline: dict | None, rules: dict) -> dict:
    """Were the vitals acceptable at a moment: none of the clinic's vitals alert rules (nor, before dosing,
    the high-baseline rule) fires on the latest values."""

    values, taken = latest_values(vitals, until) if until else ({}, None)
    if not values:
        return {"acceptable": None, "findings": [], "values": {}, "taken_at": None}
    findings = alert_rules.evaluate_vitals(values, baseline=baseline, news2=None, rules=rules)
    if baseline is None:
        high_baseline = alert_rules.evaluate_baseline(values.get("sbp"), values.get("dbp"), rules)
        findings += [high_baseline] if high_baseline else []
    return {"acceptable": not findings, "findings": [f"{f.message} ({f.priority})" for f in findings],
            "values": values, "taken_at": taken}


def effects_of(whole: dict, kind: str) -> list[dict]:
    return [e for e in whole["side_effects"] if e["kind"] == kind]


def finding(evidence: list[str], effects: list[dict], cleared: bool) -> dict:
    """Whether a problem was seen, what showed it, and whether it resolved (None when it was not seen)."""
    observed = bool(evidence)
    resolved = (all(e["resolved_at"] for e in effects) and cleared) if observed else None
    return {"observed": observed, "resolved": resolved, "evidence": evidence}


def described(effect: dict) -> str:
    resolved = f", resolved {effect['resolved_at']}" if effect["resolved_at"] else ", not resolved"
    return f"{effect['kind'].replace('_', ' ')} ({effect['severity']}) at {effect['observed_at']}{resolved}"


def sedation(whole: dict) -> dict:
    """Sedation: a side effect so named, MOAA/S 3 or less, or consciousness other than Alert."""
    effects = effects_of(whole, "sedation")
    sedated = instruments.INSTRUMENTS["moaas"]["deep_sedation_max"] + 1
    current = [v for v in whole["vitals"] if v["status"] == "current"]
    scores = [(v["taken_at"], v["moaas"]) for v in current if v.get("moaas") is not None]
    scores += [(a["at"], a["total"]) for a in whole["assessments"] if a["instrument"] == "moaas"]
    levels = [(v["taken_at"], v["consciousness"]) for v in current if v.get("consciousness")]
    evidence = [described(e) for e in effects]
    evidence += [f"MOAA/S {score} at {at}" for at, score in sorted(scores) if score <= sedated]
    evidence += [f"ACVPU {level} at {at}" for at, level in sorted(levels) if level != "A"]
    last_score = max(scores)[1] if scores else None
    last_level = max(levels)[1] if levels else None
    cleared = (last_score is None or last_score > sedated) and (last_level is None or last_level == "A")
    return finding(evidence, effects, cleared)


def dissociation(whole: dict) -> dict:
    """Dissociation: a side effect so named, or a CADSS total above 4 (marked dissociation)."""
    effects = effects_of(whole, "dissociation")
    marked = instruments.INSTRUMENTS["cadss"]["marked_dissociation_above"]
    totals = sorted((a["at"], a["total"]) for a in whole["assessments"] if a["instrument"] == "cadss")
    evidence = [described(e) for e in effects] + [f"CADSS {total} at {at}" for at, total in totals if total > marked]
    cleared = not totals or totals[-1][1] <= marked
    return finding(evidence, effects, cleared)


def respiratory_depression(whole: dict, vitals: list[dict], rules: dict) -> dict:
    """Respiratory depression: a side effect so named, or RR or SpO2 at the clinic's high-alert limits."""
    effects = effects_of(whole, "respiratory_depression")
    rr_limit = rules["rr"]["high"]["rr"]["at_most"]
    spo2_limit = rules["spo2"]["high"]["spo2"]["at_most"]
    low = [v for v in vitals if (v.get("rr") is not None and v["rr"] <= rr_limit)
           or (v.get("spo2") is not None and v["spo2"] <= spo2_limit)]
    evidence = [described(e) for e in effects]
    evidence += [breathing(v) for v in low]
    last = next((v for v in reversed(vitals) if v.get("rr") is not None or v.get("spo2") is not None), None)
    cleared = last is None or last not in low
    return finding(evidence, effects, cleared)


def breathing(reading: dict) -> str:
    shown = [f"{label} {reading[k]}" for k, label in (("rr", "RR"), ("spo2", "SpO2")) if reading.get(k) is not None]
    return f"{', '.join(shown)} at {reading['taken_at']}"


PENDING = Order(("first_dose_at", "id"), descending=False)  # the oldest dose is the oldest due
# The partial index sessions_rems_due holds exactly these rows: the list costs what it shows.
PENDING_WHERE = ["drug = 'esketamine'", "first_dose_at IS NOT NULL", "rems_submitted_at IS NULL"]


def pending(db, now: datetime, after: list | None = None, limit: int = 100) -> tuple[list[dict], list | None]:
    """A page of the esketamine sessions given a dose whose form is not marked submitted, the oldest due
    first, and the key to continue after (None at the end)."""
    rows, last = keyset(db, "SELECT id FROM sessions", PENDING_WHERE, [], PENDING, after, limit)
    listed = []
    for (session_id,) in rows:
        session = sessions.get(db, session_id)
        line = sessions.timeline(sessions.transitions(db, session_id))
        ended = line.get("discharged") or line.get("aborted")
        due = due_date(ended)
        listed.append({"session_id": session_id, "patient": patients.get(db, session["patient_id"]),
                       "chair": session["chair"], "state": session["state"], "dose_mg": session["dose_mg"],
                       "first_dose_at": line["infusing"], "ended_at": ended, "due_date": due,
                       "overdue": due is not None and due < now.date().isoformat(),
                       "days_left": days_left(due, now)})
    return listed, last
