"""A realistic demo clinic: patients part-way through a six-session course, sessions in every state.

Their PHQ-9 and GAD-7 (and a baseline MADRS before esketamine) are scored before each infusion and fall
across the course as courses do: Okafor responds, Moreau remits, Lindqvist does not respond, Brennan
stopped after the first infusion (not returned), and Okafor's third PHQ-9 had item 9 positive, which
the clinician assessed the same day and acknowledged with a comment.

Blood pressure rises during the infusion, peaks near 40 minutes and settles in
recovery; some sessions have nausea or dissociation. Entries are written as if
made at the bedside at their clinical time, so none is flagged late.
"""
from __future__ import annotations

import math
import random
import time
from datetime import datetime, timedelta, tzinfo

from sqlite_utils import Database

from . import demo_day
from .alerts import engine
from .errors import ApiError
from .record import assessments, notes, patients, sessions, side_effects, users, vitals
from .rules.instruments import INSTRUMENTS
from .store.db import SYSTEM, Store

LOGINS = (("nurse", "nurse", "nurse-demo-1"), ("nurse2", "nurse", "nurse-demo-2"),
          ("clinician", "clinician", "clinician-demo-1"), ("admin", "admin", "admin-demo-1"))
PATIENTS = (
    ("MRN-100231", "Okafor", "Grace", "1979-03-14", "female", 68.0),
    ("MRN-100342", "Lindqvist", "Erik", "1986-11-02", "male", 82.5),
    ("MRN-100457", "Moreau", "Camille", "1992-06-21", "female", 59.0),
    ("MRN-100568", "Tanaka", "Hiro", "1971-01-30", "male", 74.0),
    ("MRN-100679", "Silva", "Ana", "1965-09-08", "female", 71.0),
    ("MRN-100781", "Novak", "Petra", "1990-12-12", "female", 63.0),
    ("MRN-100892", "Brennan", "Siobhan", "1983-04-27", "female", 66.0),
)
# (patient index, series number) -> the outcome totals scored before that infusion; "item_9" is PHQ-9's.
SCORES = {
    (0, 1): {"phq9": 20, "gad7": 15}, (0, 2): {"phq9": 15, "gad7": 12},
    (0, 3): {"phq9": 12, "gad7": 10, "item_9": 1}, (0, 4): {"phq9": 9, "gad7": 7},
    (1, 1): {"phq9": 18, "gad7": 13}, (1, 2): {"phq9": 17, "gad7": 12},
    (2, 1): {"phq9": 16, "gad7": 11, "madrs": 30}, (2, 2): {"phq9": 8, "gad7": 6}, (2, 3): {"phq9": 4, "gad7": 3},
    (3, 5): {"phq9": 10, "gad7": 8}, (4, 2): {"phq9": 13, "gad7": 9}, (6, 1): {"phq9": 19, "gad7": 14},
}
RISK_ASSESSMENT = "Same-day risk assessment: passive thoughts, no plan or intent; safety plan reviewed; continue."


def seeded(db: Database) -> bool:
    return db.execute("SELECT COUNT(*) FROM patients").fetchone()[0] > 0


class DemoClock:
    """The time the demo pretends each entry is made at."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def bp_curve(minute: float, baseline_sbp: int, baseline_dbp: int, rng: random.Random) -> tuple[int, int]:
    """Ketamine's BP effect: a rise of about +16/+11 peaking near 40 minutes, fading afterwards."""
    effect = math.exp(-((minute - 40) / 22) ** 2) if minute > 0 else 0
    return (round(baseline_sbp + 16 * effect + rng.uniform(-3, 3)),
            round(baseline_dbp + 11 * effect + rng.uniform(-2, 2)))


def seed(store: Store, zone: tzinfo, seed_value: int = 7) -> list[tuple[str, str, str]]:
    """Create users, patients and sessions; return the demo logins."""
    rng = random.Random(seed_value)
    real_clock, now = store.clock, store.now()
    clock = DemoClock(now - timedelta(days=40))
    store.clock = clock
    try:
        with store.write(SYSTEM) as tx:
            for name, role, password in LOGINS:
                if users.by_name(tx.db, name) is None:
                    users.add(tx, name, role, password)
        nurse = users.actor_for(users.by_name(store.db, "nurse"))
        clinician = users.actor_for(users.by_name(store.db, "clinician"))
        with store.write(nurse) as tx:
            ids = [patients.create(tx, {"mrn": m, "family_name": f, "given_name": g, "birth_date": b, "sex": s,
                                        "weight_kg": w})["id"] for m, f, g, b, s, w in PATIENTS]
        plan = [
            # patient index, series number, days ago, minutes since infusion start (None = a past session),
            # final state, drug, chair
            (0, 1, 21, None, "discharged", "ketamine", "1"), (0, 2, 18, None, "discharged", "ketamine", "1"),
            (0, 3, 14, None, "discharged", "ketamine", "1"), (0, 4, 0, 35, "infusing", "ketamine", "1"),
            (1, 1, 7, None, "discharged", "ketamine", "2"), (1, 2, 0, 62, "recovery", "ketamine", "2"),
            (2, 3, 0, 95, "ready", "esketamine", "3"), (3, 5, 0, 18, "paused", "ketamine", "4"),
            (4, 2, 0, None, "baseline", "ketamine", "5"), (5, 1, 0, None, "scheduled", "ketamine", "6"),
            (4, 1, 5, None, "aborted", "ketamine", "5"),
            (2, 1, 10, None, "discharged", "esketamine", "3"), (2, 2, 6, None, "discharged", "esketamine", "3"),
            (6, 1, 20, None, "discharged", "ketamine", "6"),
        ]
        for patient_index, series, days_ago, minutes, final, drug, chair in plan:
            weight = PATIENTS[patient_index][5]
            start = now - timedelta(days=days_ago, minutes=minutes or 0)
            if minutes is None and days_ago:
                start = (now - timedelta(days=days_ago)).replace(hour=10, minute=0)
            build_session(store, clock, nurse, clinician, ids[patient_index], series, start, now, final, drug,
                          chair, weight, rng, SCORES.get((patient_index, series), {}))
        demo_day.alarm_day(store, clock, nurse, clinician, now)
        demo_day.shift_change(store, clock, now)
    finally:
        store.clock = real_clock
    return list(LOGINS)


def build_session(store, clock, nurse, clinician, patient_id, series, start, now, final, drug, chair,
                  weight, rng, scores: dict) -> None:
    """One session from check-in to `final`, with vitals, side effects, scores and notes."""
    esketamine = drug == "esketamine"
    checkin = start - timedelta(minutes=20) if final not in ("scheduled", "baseline") else now - timedelta(minutes=12)
    clock.moment = checkin
    body = {"patient_id": patient_id, "chair": chair, "drug": drug, "route": "intranasal" if esketamine else "iv",
            "indication": "treatment-resistant depression", "series_number": series,
            "planned_minutes": None if esketamine else 40,
            "checklist": {"medication_flags": [], "escort_confirmed": True, "consent": True, "weight_kg": weight}}
    body |= {"dose_mg": 56} if esketamine else {"dose_mg_per_kg": 0.5}
    if esketamine:
        body["lot_number"] = "LOT-24A117"
    with store.write(nurse) as tx:
        session_id = sessions.create(tx, body)["id"]
    if final == "scheduled":
        return
    base_sbp, base_dbp, base_hr = rng.randint(112, 132), rng.randint(70, 84), rng.randint(64, 80)

    def step(to, at, actor=nurse, **options):
        clock.moment = at
        with store.write(actor) as tx:
            sessions.transition(tx, session_id, to, at, **options)

    def vitals_at(at, minute, moaas=None):
        clock.moment = at
        sbp, dbp = bp_curve(minute, base_sbp, base_dbp, rng)
        values = {"taken_at": at.isoformat(), "hr": base_hr + rng.randint(-4, 8), "sbp": sbp, "dbp": dbp,
                  "spo2": rng.randint(96, 99), "rr": rng.randint(12, 17), "temp_c": round(rng.uniform(36.4, 37.0), 1)}
        if moaas is not None:
            values["moaas"] = moaas
        with store.write(nurse) as tx:
            vitals.record(tx, session_id, [values | {"confirm": True}], zone=start.tzinfo)

    step("baseline", checkin + timedelta(minutes=2))
    vitals_at(checkin + timedelta(minutes=5), -15)
    score_outcomes(store, clock, nurse, clinician, session_id, checkin + timedelta(minutes=8), scores)
    if final == "baseline":
        return
    if final == "aborted":
        step("aborted", checkin + timedelta(minutes=10), reason="patient unwell on arrival (viral illness); rebooked")
        return
    step("infusing", start)
    elapsed_now = (now - start).total_seconds() / 60
    infusion_end = min(5 if esketamine else 40, elapsed_now)
    last, recovering = 0, False
    for minute in range(5, int(min(elapsed_now, 150)) + 1, 5 if elapsed_now < 150 else 10):
        at = start + timedelta(minutes=minute)
        if final == "paused" and minute == 15:
            step("paused", at - timedelta(minutes=2), reason="nausea")
            record_side_effect(store, clock, nurse, session_id, at - timedelta(minutes=3), "nausea", "moderate",
                               {"drug": "ondansetron", "dose": "4 mg IV", "infusion": "paused"})
        if minute >= infusion_end + 5 and not recovering and final not in ("infusing", "paused"):
            step("recovery", start + timedelta(minutes=infusion_end))
            recovering = True
        vitals_at(at, minute, moaas=4 if minute <= infusion_end else 5)
        last = minute
        if minute in (20, 25) and series <= 2:
            record_side_effect(store, clock, nurse, session_id, at, "dissociation", "mild", None)
        if minute == 25 and series == 4 and final == "infusing":
            record_side_effect(store, clock, nurse, session_id, at, "nausea", "mild", None)
    if final in ("infusing", "paused", "recovery"):
        if final == "recovery":
            clock.moment = start + timedelta(minutes=last)
            with store.write(nurse) as tx:
                assessments.record(tx, session_id, {"instrument": "aldrete", "items": {
                    "activity": 2, "respiration": 2, "circulation": 2, "consciousness": 1, "spo2": 2},
                    "at": clock.moment.isoformat()}, zone=start.tzinfo)
        return
    ready_at = min(start + timedelta(minutes=max(last, 120 if esketamine else 75)), now - timedelta(minutes=1))
    clock.moment = ready_at
    with store.write(nurse) as tx:
        assessments.record(tx, session_id, {"instrument": "aldrete", "items": {
            "activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 1},
            "at": ready_at.isoformat()}, zone=start.tzinfo)
    step("ready", ready_at)
    if final == "ready":
        return
    step("discharged", ready_at + timedelta(minutes=10))
    clock.moment = ready_at + timedelta(minutes=9)
    with store.write(nurse) as tx:
        notes.record(tx, session_id, {"kind": "note", "text": "Discharged home with partner as escort."},
                     zone=start.tzinfo)
    if series <= 2:
        clock.moment = ready_at + timedelta(hours=3)
        with store.write(clinician) as tx:
            sessions.sign(tx, session_id, "Reviewed the session record; care as documented.")


def outcome_items(instrument: str, total: int, item_9: int = 0) -> dict:
    """Item scores adding up to `total`, filled from the first item (PHQ-9's item 9 as given)."""
    names = list(INSTRUMENTS[instrument]["items"])
    high = INSTRUMENTS[instrument]["items"][names[0]][1]
    items, left = {}, total - (item_9 if instrument == "phq9" else 0)
    for name in names:
        if instrument == "phq9" and name == "item_9":
            items[name] = item_9
            continue
        items[name] = min(high, left)
        left -= items[name]
    return items


def score_outcomes(store, clock, nurse, clinician, session_id, at, scores: dict) -> None:
    """The outcome measures before the infusion (the patient's self-reports entered by the nurse, MADRS by
    the clinician); a positive PHQ-9 item 9 is assessed by the clinician ten minutes later."""
    for instrument in ("phq9", "gad7", "madrs"):
        if instrument not in scores:
            continue
        clock.moment = at
        actor = clinician if instrument == "madrs" else nurse
        body = {"instrument": instrument, "at": at.isoformat(),
                "items": outcome_items(instrument, scores[instrument], scores.get("item_9", 0)),
                "answered_by": "staff" if instrument == "madrs" else "patient"}
        with store.write(actor) as tx:
            assessments.record(tx, session_id, body, zone=at.tzinfo)
    alert = engine.open_alert(store.db, session_id, "suicidality")
    if alert:
        clock.moment = at + timedelta(minutes=10)
        with store.write(clinician) as tx:
            engine.acknowledge(tx, alert["id"], RISK_ASSESSMENT)


def record_side_effect(store, clock, nurse, session_id, at, kind, severity, intervention) -> None:
    clock.moment = at
    with store.write(nurse) as tx:
        side_effects.record(tx, session_id, {"kind": kind, "severity": severity, "observed_at": at.isoformat(),
                                             "intervention": intervention}, zone=at.tzinfo)


def run_live(store: Store, interval: float, rounds: int | None = None) -> None:
    """Every `interval` seconds, add a vitals set to each infusing or recovering session."""
    rng = random.Random()
    nurse = users.actor_for(users.by_name(store.db, "nurse"))
    done = 0
    while rounds is None or done < rounds:
        for session_id in sessions.list_ids(store.db, "active"):
            session = sessions.get(store.db, session_id)
            if session["state"] not in ("infusing", "paused", "recovery") or session["locked"]:
                continue
            started = sessions.timeline(sessions.transitions(store.db, session_id)).get("infusing")
            baseline = sessions.baseline_vitals(store.db, session_id) or {"sbp": 120, "dbp": 78, "hr": 72}
            minute = (store.now() - datetime.fromisoformat(started)).total_seconds() / 60 if started else 0
            sbp, dbp = bp_curve(minute, baseline["sbp"], baseline["dbp"], rng)
            values = {"hr": (baseline.get("hr") or 72) + rng.randint(-4, 8), "sbp": sbp, "dbp": dbp,
                      "spo2": rng.randint(95, 99), "rr": rng.randint(12, 18), "confirm": True}
            try:
                with store.write(nurse) as tx:
                    vitals.record(tx, session_id, [values], zone=store.now().tzinfo)
            except ApiError:
                continue
        done += 1
        time.sleep(interval)
