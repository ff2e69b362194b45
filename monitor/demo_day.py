"""The demo clinic's day of alarms and its change of shift (issue 15), so /reports' alarm review and
/handover show real shapes on `make run`.

Three sessions earlier today raise an alarm of every kind a chair raises (the REMS form reminder is the
scheduler's, days later) through the real alert engine: some are
acknowledged at once, one is silenced, one raised again by the scheduler, many clear by themselves
within two minutes, and at midday a clinician lowers the SpO2 threshold (rule set version 1). Then
the morning nurse hands chairs 4 to 6 over to nurse2, who accepts.
"""
from __future__ import annotations

import copy
from datetime import datetime, timedelta

from .alerts import engine, scheduler
from .record import assessments, notes, patients, sessions, shifts, side_effects, users, vitals
from .rules import rulesets
from .store.db import Store

NORMAL = {"hr": 76, "sbp": 122, "dbp": 78, "spo2": 97, "rr": 14, "temp_c": 36.7}


class Day:
    """One session's script on the demo clock: each step happens at `start + minutes`."""

    def __init__(self, store: Store, clock, nurse, clinician, session_id: int, start: datetime):
        self.store, self.clock, self.nurse, self.clinician = store, clock, nurse, clinician
        self.session_id, self.start = session_id, start

    def at(self, minutes: float) -> datetime:
        self.clock.moment = self.start + timedelta(minutes=minutes)
        return self.clock.moment

    def step(self, minutes: float, to: str, **options) -> None:
        moment = self.at(minutes)
        with self.store.write(self.nurse) as tx:
            sessions.transition(tx, self.session_id, to, moment, **options)

    def vitals(self, minutes: float, **values) -> None:
        moment = self.at(minutes)
        with self.store.write(self.nurse) as tx:
            vitals.record(tx, self.session_id, [NORMAL | values | {"taken_at": moment.isoformat(), "confirm": True}],
                          zone=moment.tzinfo)

    def acknowledge(self, minutes: float, key: str, comment: str | None = None, by_clinician: bool = False) -> None:
        self.at(minutes)
        alert = engine.open_alert(self.store.db, self.session_id, key)
        if alert and alert["state"] == "active":
            with self.store.write(self.clinician if by_clinician else self.nurse) as tx:
                engine.acknowledge(tx, alert["id"], comment)

    def silence(self, minutes: float, key: str) -> None:
        self.at(minutes)
        alert = engine.open_alert(self.store.db, self.session_id, key)
        if alert:
            with self.store.write(self.nurse) as tx:
                engine.silence(tx, alert["id"], 2)

    def tick(self, minutes: float) -> None:
        scheduler.tick(self.store, self.at(minutes))

    def side_effect(self, minutes: float, kind: str, severity: str, intervention: dict | None) -> int:
        moment = self.at(minutes)
        with self.store.write(self.nurse) as tx:
            return side_effects.record(tx, self.session_id, {"kind": kind, "severity": severity,
                                                             "observed_at": moment.isoformat(),
                                                             "intervention": intervention}, zone=moment.tzinfo)["id"]

    def resolve(self, minutes: float, side_effect_id: int) -> None:
        moment = self.at(minutes)
        with self.store.write(self.nurse) as tx:
            side_effects.resolve(tx, side_effect_id, moment.isoformat(), zone=moment.tzinfo)

    def note(self, minutes: float, kind: str, text: str) -> None:
        moment = self.at(minutes)
        with self.store.write(self.nurse) as tx:
            notes.record(tx, self.session_id, {"kind": kind, "text": text, "at": moment.isoformat()},
                         zone=moment.tzinfo)

    def phq9(self, minutes: float, items: dict) -> None:
        moment = self.at(minutes)
        with self.store.write(self.nurse) as tx:
            assessments.record(tx, self.session_id, {"instrument": "phq9", "items": items, "at": moment.isoformat()},
                               zone=moment.tzinfo)

    def discharge(self, ready: float, discharged: float) -> None:
        moment = self.at(ready)
        with self.store.write(self.nurse) as tx:
            assessments.record(tx, self.session_id, {"instrument": "aldrete", "items": {
                "activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 2},
                "at": moment.isoformat()}, zone=moment.tzinfo)
        self.step(ready, "ready")
        self.step(discharged, "discharged")


def alarm_day(store: Store, clock, nurse, clinician, now: datetime) -> None:
    """Three sessions of today, an alarm of every kind, and the SpO2 threshold lowered at midday."""
    morning = script(store, clock, nurse, clinician, "7", now - timedelta(hours=7, minutes=30))
    morning.step(-10, "baseline")
    morning.vitals(-8, sbp=146, dbp=92)
    morning.step(0, "infusing", confirm=True)                  # baseline_bp (low)
    morning.acknowledge(1, "baseline_bp", "known hypertensive, cleared to proceed", by_clinician=True)
    morning.vitals(5)
    morning.vitals(10, spo2=93)                                 # spo2 (medium) ...
    morning.vitals(11, spo2=97)                                 # ... cleared by itself
    morning.vitals(15, hr=118)                                  # hr (medium)
    morning.acknowledge(15.5, "hr", "anxious, reassured")
    morning.tick(20.5)                                          # still 118 five minutes on: raised again
    morning.acknowledge(21, "hr")
    morning.vitals(22, hr=96)
    morning.vitals(25, sbp=188, dbp=104)                        # bp_high (high) and bp_rise (medium)
    morning.silence(25.3, "bp_high")
    morning.acknowledge(26, "bp_high", "labetalol 10 mg IV", by_clinician=True)
    morning.vitals(27, sbp=150, dbp=90)                         # bp_rise clears by itself
    morning.vitals(30, spo2=93)
    morning.vitals(31, spo2=97)
    morning.vitals(33, rr=22)                                   # rr (medium), clears by itself
    morning.vitals(34, rr=16)
    morning.vitals(36, moaas=3)                                 # sedation (medium)
    morning.acknowledge(37, "sedation", "rousable to voice")
    morning.vitals(38, moaas=4)
    morning.step(40, "recovery")
    morning.tick(61)                                            # vitals_overdue (medium) in recovery
    morning.vitals(62)
    morning.discharge(70, 80)

    late_morning = script(store, clock, nurse, clinician, "8", now - timedelta(hours=5, minutes=30))
    late_morning.step(-10, "baseline")
    late_morning.vitals(-8)
    late_morning.step(0, "infusing")
    late_morning.vitals(5, temp_c=39.3)                         # temp (medium)
    late_morning.acknowledge(6, "temp")
    late_morning.vitals(10, temp_c=38.2)
    vomiting = late_morning.side_effect(12, "vomiting", "severe", {"drug": "ondansetron", "dose": "4 mg IV",
                                                                   "infusion": "paused"})
    late_morning.note(13, "escalation", "call supervisor: severe vomiting")   # escalation (high)
    late_morning.acknowledge(13.5, "side_effect", "antiemetic given", by_clinician=True)
    late_morning.acknowledge(14, "escalation", "at the chair", by_clinician=True)
    late_morning.vitals(15)
    late_morning.vitals(18, spo2=91)                            # spo2 (high) and news2 (medium)
    late_morning.acknowledge(18.7, "spo2", "repositioned, O2 2 L")
    late_morning.acknowledge(19, "news2")
    late_morning.vitals(20, spo2=96)
    late_morning.resolve(21, vomiting)
    late_morning.vitals(22, sbp=88, dbp=55)                     # sbp_low (high)
    late_morning.acknowledge(23, "sbp_low", "fluids", by_clinician=True)
    late_morning.vitals(25, sbp=112, dbp=70)
    late_morning.vitals(30, spo2=93)
    late_morning.vitals(31, spo2=97)
    for minute in (40, 45, 50, 55):
        late_morning.vitals(minute)
    late_morning.tick(56)                                       # infusion_overtime (low): 56 min of 40 planned
    late_morning.step(57, "recovery")
    late_morning.vitals(65)
    late_morning.discharge(75, 85)

    clock.moment = now - timedelta(hours=4)
    with store.write(clinician) as tx:
        rules = copy.deepcopy(rulesets.in_force(tx.db))
        rules["spo2"]["medium"]["spo2"]["at_most"] = 92
        rulesets.replace(tx, rules, "SpO2 93 alarms nearly all cleared by themselves within 2 minutes")

    afternoon = script(store, clock, nurse, clinician, "9", now - timedelta(hours=3, minutes=30))
    afternoon.step(-10, "baseline")
    afternoon.vitals(-8)
    afternoon.phq9(-7, {f"item_{n}": 2 for n in range(1, 9)} | {"item_9": 1})   # suicidality (high)
    afternoon.acknowledge(-3, "suicidality", "suicide-risk assessment: passive thoughts, no plan; safe to proceed",
                          by_clinician=True)
    afternoon.step(0, "infusing")
    afternoon.vitals(5, spo2=93)                                # no alarm under version 1
    afternoon.vitals(10, spo2=92)                               # spo2 (medium), clears by itself
    afternoon.vitals(11, spo2=97)
    afternoon.vitals(15, hr=131)                                # hr (high) and news2 (medium)
    afternoon.acknowledge(15.5, "hr", by_clinician=True)
    afternoon.acknowledge(16, "news2")
    afternoon.vitals(17, hr=90)
    for minute in (25, 35):
        afternoon.vitals(minute)
    afternoon.step(40, "recovery")
    afternoon.vitals(50)
    afternoon.discharge(60, 70)


PATIENTS = {"7": ("MRN-200112", "Haddad", "Omar", "1983-04-17", "male", 88.0),
            "8": ("MRN-200223", "Kowalski", "Marta", "1975-08-29", "female", 66.0),
            "9": ("MRN-200334", "Achebe", "Ngozi", "1994-02-05", "female", 61.0)}


def script(store, clock, nurse, clinician, chair: str, start: datetime) -> Day:
    """A new patient's session in `chair`, checked in 20 minutes before `start`, and its script."""
    clock.moment = start - timedelta(minutes=20)
    mrn, family, given, born, sex, weight = PATIENTS[chair]
    with store.write(nurse) as tx:
        patient = patients.create(tx, {"mrn": mrn, "family_name": family, "given_name": given, "birth_date": born,
                                       "sex": sex, "weight_kg": weight})
        session = sessions.create(tx, {"patient_id": patient["id"], "chair": chair, "drug": "ketamine", "route": "iv",
                                       "dose_mg_per_kg": 0.5, "planned_minutes": 40, "series_number": 1,
                                       "indication": "treatment-resistant depression"})
    return Day(store, clock, nurse, clinician, session["id"], start)


def shift_change(store: Store, clock, now: datetime) -> None:
    """The morning nurse took chairs 1 to 6; at the change of shift she hands 4 to 6 to nurse2, who accepts."""
    nurse = users.actor_for(users.by_name(store.db, "nurse"))
    nurse2 = users.actor_for(users.by_name(store.db, "nurse2"))
    clock.moment = now - timedelta(hours=8)
    with store.write(nurse) as tx:
        shifts.choose_chairs(tx, ["1", "2", "3", "4", "5", "6"])
    clock.moment = now - timedelta(minutes=25)
    with store.write(nurse) as tx:
        handover = shifts.hand_over(tx, "nurse2", ["4", "5", "6"], now - timedelta(hours=8),
                                    "chair 4 paused for nausea, ondansetron given; chair 6 not yet started")
        shifts.choose_chairs(tx, ["1", "2", "3"])
    clock.moment = now - timedelta(minutes=20)
    with store.write(nurse2) as tx:
        shifts.accept(tx, handover["id"])
