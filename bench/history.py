"""Years of records: does every page and list cost the same in year five as in year one? (issue 13)

Run: flock /work/notes/bench.lock .venv/bin/python bench/history.py [--years 1 5] [--runs 7]

Grows a clinic with the project's own domain code (6 chairs, 4 sessions a chair a day, 250 clinic
days a year; a course of six infusions per patient; vitals, scores, side effects, alerts raised and
acknowledged, REMS forms, signatures): one write transaction per clinic day and phase, through
`store.write` and the record's functions, so every row, audit entry, event and alert is what the app
itself writes; growing uses synchronous=OFF. Each size is kept as a copy; then, with the real
settings (synchronous=FULL, the app as `create_app` builds it, its clock at the end of that history),
it measures the median time and bytes of every page and of every list's first page, the sizes'
requests interleaved so the shared machine's load falls on all alike, then `monitor audit verify` and
`monitor backup` (whole processes) and the database's size per session. The last column is the ratio
to the first size, measured in the same run. Figures are printed, not asserted.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.alerts import engine, triggers  # noqa: E402
from monitor.config import Config  # noqa: E402
from monitor.record import assessments, notes, patients, rems, sessions, side_effects, users, vitals  # noqa: E402
from monitor.store.db import SYSTEM, Store  # noqa: E402
from monitor.web.app import create_app  # noqa: E402

ZONE = ZoneInfo("Europe/London")
CHAIRS, ROUNDS, DAYS_A_YEAR, COURSE = 6, 4, 250, 6
ROUND_STARTS = (8, 10, 12, 14)  # the clinic's hours at which each round's infusions start
BIN = Path(sys.executable).parent


class Clock:
    """The time the clinic's writes are made at (moved by the grower), then the measuring clock."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def clinic_days(last: date, count: int) -> list[date]:
    """The last `count` weekdays up to `last`, oldest first."""
    days, day = [], last
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days[::-1]


class Clinic:
    """Grows the clinic day by day through the domain code."""

    def __init__(self, path: Path, first_day: date):
        self.clock = Clock(datetime.combine(first_day, datetime.min.time(), ZONE))
        self.store = triggers.listen(Store(path, synchronous="OFF", clock=self.clock))
        self.store.migrate()
        self.rng = random.Random(13)
        self.day_number = 0
        self.live: list[int] = []  # the last round of the latest day, left infusing for the measurement
        with self.store.write(SYSTEM) as tx:
            ids = {role: users.add(tx, role, role, f"{role}-bench-password-1") for role in users.ROLES}
            self.tokens = {role: users.create_token(tx, user_id) for role, user_id in ids.items()}
        self.nurse = users.actor_for(users.by_name(self.store.db, "nurse"))
        self.clinician = users.actor_for(users.by_name(self.store.db, "clinician"))
        self.patients: dict[tuple[int, int], int] = {}

    def at(self, day: date, hour: int, minute: float = 0) -> datetime:
        return datetime.combine(day, datetime.min.time(), ZONE) + timedelta(hours=hour, minutes=minute)

    def patient(self, cohort: int, slot: int) -> int:
        """A course of six: the patient in chair-slot `slot` for six clinic days running."""
        key = (cohort, slot)
        if key not in self.patients:
            with self.store.write(self.nurse) as tx:
                self.patients[key] = patients.create(tx, {
                    "mrn": f"H{cohort:05d}-{slot:02d}", "family_name": f"Family{cohort % 997:03d}x{slot}",
                    "given_name": f"Given{slot}", "birth_date": "1980-05-17", "sex": "female",
                    "weight_kg": 70})["id"]
        return self.patients[key]

    def grow(self, days: list[date], keep_live: bool) -> None:
        for index, day in enumerate(days):
            self.finish_live()
            self.one_day(day, live_round=keep_live and index == len(days) - 1)

    def finish_live(self) -> None:
        """The sessions left infusing for a measurement end as any other (before the next day), and the
        clinician signs them, so each measurement finds the same worklist."""
        if not self.live:
            return
        day = self.clock.moment.date()
        self.clock.moment = self.at(day, 17)
        with self.store.write(self.nurse) as tx:
            for session_id in self.live:
                for to, minute in (("recovery", 40), ("ready", 140), ("discharged", 150)):
                    sessions.transition(tx, session_id, to, self.at(day, ROUND_STARTS[-1], minute))
        with self.store.write(self.clinician) as tx:
            for session_id in self.live:
                sessions.sign(tx, session_id, "Reviewed and approved")
                if sessions.get(tx.db, session_id)["drug"] == "esketamine":
                    rems.mark_submitted(tx, session_id, tx.now, None)
        self.live = []

    def one_day(self, day: date, live_round: bool) -> None:
        """24 sessions: first the check-ins and infusions (alerts raised at commit), then recovery,
        discharge and the paperwork; the clinician signs the day before's records."""
        cohort, series = divmod(self.day_number, COURSE)
        self.day_number += 1
        plan = []
        for chair in range(CHAIRS):
            for round_ in range(ROUNDS):
                slot = chair * ROUNDS + round_
                esketamine = slot % 6 == 5
                plan.append((chair, round_, self.patient(cohort, slot), esketamine))
        # A day left live for a measurement is written as of 14:25, its last round 25 minutes in.
        self.clock.moment = self.at(day, ROUND_STARTS[-1], 25) if live_round else self.at(day, 18)
        started = []
        with self.store.write(self.nurse) as tx:
            for chair, round_, patient_id, esketamine in plan:
                if live_round and round_ == ROUNDS - 1:
                    continue
                started.append(self.infuse(tx, day, chair, round_, patient_id, esketamine, series + 1))
        with self.store.write(self.nurse) as tx:
            for session_id, start, esketamine in started:
                self.recover(tx, session_id, start, esketamine)
        with self.store.write(self.clinician) as tx:
            for session_id, _, esketamine in started:
                sessions.sign(tx, session_id, "Reviewed and approved")
                if esketamine:
                    rems.mark_submitted(tx, session_id, tx.now, None)
        if live_round:
            self.start_live(day, cohort, series, plan)

    def start_live(self, day: date, cohort: int, series: int, plan: list) -> None:
        """The last round of the day, infusing 25 minutes in: what the dashboard shows while measuring."""
        with self.store.write(self.nurse) as tx:
            for chair, round_, patient_id, esketamine in plan:
                if round_ == ROUNDS - 1:
                    session_id, _, _ = self.infuse(tx, day, chair, round_, patient_id, esketamine, series + 1,
                                                   until=25)
                    self.live.append(session_id)

    def body(self, chair: int, patient_id: int, esketamine: bool, series: int) -> dict:
        body = {"patient_id": patient_id, "chair": str(chair + 1), "series_number": series,
                "drug": "esketamine" if esketamine else "ketamine", "route": "intranasal" if esketamine else "iv",
                "indication": "treatment-resistant depression", "planned_minutes": None if esketamine else 40}
        return body | ({"dose_mg": 56, "lot_number": "LOT-24A117"} if esketamine else {"dose_mg_per_kg": 0.5})

    def reading(self, at: datetime, minute: float, base: tuple[int, int, int]) -> dict:
        rise = 16 if minute > 0 else 0
        if self.rng.random() < 0.04:
            rise = 60  # now and then a BP over the alert limit, so the alert list grows as a clinic's does
        effect = rise * max(0.0, 1 - abs(minute - 40) / 50) if minute > 0 else 0
        return {"taken_at": at.isoformat(), "hr": base[2] + self.rng.randint(-4, 8),
                "sbp": round(base[0] + effect), "dbp": round(base[1] + effect * 0.6),
                "spo2": self.rng.randint(95, 99), "rr": self.rng.randint(12, 17),
                "temp_c": round(self.rng.uniform(36.4, 37.0), 1), "moaas": 4 if 0 < minute <= 40 else 5,
                "confirm": True}

    def infuse(self, tx, day, chair, round_, patient_id, esketamine, series, until=40):
        start = self.at(day, ROUND_STARTS[round_])
        base = (self.rng.randint(112, 132), self.rng.randint(70, 84), self.rng.randint(64, 80))
        session_id = sessions.create(tx, self.body(chair, patient_id, esketamine, series))["id"]
        sessions.transition(tx, session_id, "baseline", start - timedelta(minutes=15))
        vitals.record(tx, session_id, [self.reading(start - timedelta(minutes=10), -10, base)], zone=ZONE)
        sessions.transition(tx, session_id, "infusing", start)
        every = 10 if until > 25 else 5
        during = [self.reading(start + timedelta(minutes=m), m, base) for m in range(5, until + 1, every)]
        vitals.record(tx, session_id, during, zone=ZONE)
        if self.rng.random() < 0.2:
            side_effects.record(tx, session_id, {"kind": self.rng.choice(("nausea", "dissociation", "dizziness")),
                                                 "severity": "mild", "observed_at": (start + timedelta(minutes=20))
                                                 .isoformat()}, zone=ZONE)
        return session_id, start, esketamine

    def recover(self, tx, session_id: int, start: datetime, esketamine: bool) -> None:
        for alert in engine.for_session(tx.db, session_id):
            if alert["state"] == "active":
                engine.acknowledge(tx, alert["id"], "seen; repeated manually")
        end = start + timedelta(minutes=5 if esketamine else 40)
        sessions.transition(tx, session_id, "recovery", end)
        base = (118, 76, 70)
        after = [self.reading(end + timedelta(minutes=m), 60 + m, base) for m in range(10, 71, 15)]
        vitals.record(tx, session_id, after, zone=ZONE)
        ready = start + timedelta(minutes=125 if esketamine else 110)
        assessments.record(tx, session_id, {"instrument": "aldrete", "at": ready.isoformat(), "items": {
            "activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 2}}, zone=ZONE)
        sessions.transition(tx, session_id, "ready", ready)
        notes.record(tx, session_id, {"kind": "note", "text": "Discharged home with an escort.",
                                      "at": (ready + timedelta(minutes=5)).isoformat()}, zone=ZONE)
        sessions.transition(tx, session_id, "discharged", ready + timedelta(minutes=10))

    def close(self) -> None:
        self.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.store.close()


def targets(db, live: list[int]) -> list[tuple[str, str, str]]:
    """(name, path, role) of every page and every list's first page, on the newest records."""
    newest = db.execute("SELECT MAX(id) FROM sessions WHERE state = 'discharged'").fetchone()[0]
    esketamine = db.execute("SELECT MAX(id) FROM sessions WHERE drug = 'esketamine' AND state = 'discharged'"
                            ).fetchone()[0]
    patient = db.execute("SELECT patient_id FROM sessions WHERE id = ?", (newest,)).fetchone()[0]
    mrn = db.execute("SELECT mrn FROM patients WHERE id = ?", (patient,)).fetchone()[0]
    last_seq = db.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    bedside = live[0]
    return [
        ("page /  (dashboard)", "/", "clinician"),
        ("page /sessions", "/sessions", "clinician"),
        ("page /sessions?patient=MRN", f"/sessions?patient={mrn}", "clinician"),
        ("page /worklist", "/worklist", "clinician"),
        ("page /reports", "/reports", "clinician"),
        ("page /rems", "/rems", "clinician"),
        ("page /patients/{id} (series)", f"/patients/{patient}", "clinician"),
        ("page /sessions/{id} (bedside)", f"/sessions/{bedside}", "nurse"),
        ("page /sessions/{id}/record", f"/sessions/{newest}/record", "clinician"),
        ("page /sessions/{id}/rems", f"/sessions/{esketamine}/rems", "clinician"),
        ("page /admin", "/admin", "admin"),
        ("GET /api/sessions (active)", "/api/sessions", "nurse"),
        ("GET /api/sessions?state=all", "/api/sessions?state=all", "nurse"),
        ("GET /api/sessions?signed=false", "/api/sessions?state=all&signed=false", "nurse"),
        ("GET /api/sessions?patient_id=", f"/api/sessions?state=all&patient_id={patient}", "nurse"),
        ("GET /api/alerts?state=all", "/api/alerts?state=all", "nurse"),
        ("GET /api/alerts (active)", "/api/alerts", "nurse"),
        ("GET /api/patients", "/api/patients", "nurse"),
        ("GET /api/patients?q=MRN", f"/api/patients?q={mrn}", "nurse"),
        ("GET /api/audit", "/api/audit", "clinician"),
        ("GET /api/users", "/api/users", "admin"),
        ("GET /api/rems", "/api/rems", "nurse"),
        ("GET /api/worklist", "/api/worklist", "clinician"),
        ("GET /api/events?since=last-100", f"/api/events?since={last_seq - 100}", "nurse"),
        ("GET /api/sessions/{id}", f"/api/sessions/{newest}", "nurse"),
        ("GET /api/patients/{id}", f"/api/patients/{patient}", "nurse"),
    ]


class Size:
    """One grown size, kept as its own file: the app as `create_app` builds it (synchronous=FULL), its
    clock at the end of that history, its tokens and the sessions left live on its last day."""

    def __init__(self, path: Path, tokens: dict, live: list[int], now: datetime):
        self.path, self.tokens = path, tokens
        self.store = Store(path, synchronous="FULL", clock=Clock(now))
        config = Config(db_path=path, secret_key="bench-secret-" + "k3y" * 12, timezone=ZONE)
        self.client = create_app(config, store=self.store).test_client()
        self.targets = targets(self.store.db, live)

    def get(self, index: int) -> tuple[float, int | str]:
        name, url, role = self.targets[index]
        t0 = time.perf_counter()
        response = self.client.get(url, headers={"Authorization": f"Bearer {self.tokens[role]}"})
        elapsed = (time.perf_counter() - t0) * 1000
        return elapsed, len(response.get_data()) if response.status_code == 200 else f"HTTP {response.status_code}"


def measure(sizes: list[Size], runs: int) -> list[dict]:
    """Median ms and bytes of each target at every size, the sizes' requests interleaved so that the
    shared machine's load falls on all of them alike; then audit verify, backup and size, per size."""
    results: list[dict] = [{} for _ in sizes]
    for index, (name, _, _) in enumerate(sizes[0].targets):
        times: list[list[float]] = [[] for _ in sizes]
        answers: list = [None for _ in sizes]
        for run in range(runs + 1):
            for number, size in enumerate(sizes):
                elapsed, answers[number] = size.get(index)
                if run:  # the first is a warm-up
                    times[number].append(elapsed)
        for number in range(len(sizes)):
            results[number][name] = (statistics.median(times[number]), answers[number])
        print(f"  {name}: " + ", ".join(f"{statistics.median(t):.1f} ms" for t in times), flush=True)
    for number, size in enumerate(sizes):
        sessions_count = size.store.db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
        size.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size.store.close()
        results[number] |= processes(size.path)
        results[number]["db bytes per session"] = (None, size.path.stat().st_size // sessions_count)
        results[number]["sessions"] = (None, sessions_count)
    return results


def again(path: Path) -> Size:
    """A copy left by an earlier run: new tokens, its live sessions, its clock a minute after its last step."""
    store = Store(path, synchronous="FULL")
    store.migrate()  # a copy made by older code takes the migrations landed since
    with store.write(SYSTEM) as tx:
        tokens = {role: users.create_token(tx, users.by_name(tx.db, role)["id"]) for role in users.ROLES}
    live = [row[0] for row in store.db.execute("SELECT id FROM sessions WHERE state = 'infusing' ORDER BY id")]
    last = store.db.execute("SELECT MAX(at) FROM transitions").fetchone()[0]
    store.close()
    return Size(path, tokens, live, datetime.fromisoformat(last) + timedelta(minutes=1))


def processes(path: Path) -> dict:
    """`monitor audit verify` and `monitor backup` of the file, each as a whole process."""
    env = os.environ | {"MONITOR_DB": str(path), "MONITOR_TIMEZONE": "Europe/London", "PYTHONPATH": str(ROOT)}
    figures = {}
    for name, args in (("monitor audit verify", ["audit", "verify"]),
                       ("monitor backup", ["backup", str(path.with_name(f"backup-{time.time_ns()}.db"))])):
        t0 = time.perf_counter()
        done = subprocess.run([str(BIN / "monitor"), *args], env=env, capture_output=True, text=True)
        figures[name] = ((time.perf_counter() - t0) * 1000, None if done.returncode == 0 else "failed")
    return figures


def print_table(sizes: list[int], results: list[dict]) -> None:
    head = "".join(f" | {y} year{'s' if y > 1 else ''}: ms, bytes" for y in sizes)
    print(f"| request{head} | ratio {sizes[-1]}y/{sizes[0]}y |")
    print("|---" * (len(sizes) + 2) + "|")
    for name in results[0]:
        cells = []
        for figures in results:
            ms, size = figures[name]
            cells.append(" | " + (f"{ms:,.1f} ms" if ms is not None else "") +
                         (", " if ms is not None and size is not None else "") +
                         (f"{size:,}" if isinstance(size, int) else size or ""))
        first, last = results[0][name][0], results[-1][name][0]
        ratio = f"{last / first:.2f}" if first else ""
        print(f"| {name}{''.join(cells)} | {ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--again", action="store_true",
                        help="measure the copies an earlier run left in --dir again, without growing")
    args = parser.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="history-"))
    if args.again:
        sizes = [again(directory / f"clinic-{years}y.db") for years in sorted(args.years)]
        print_table(sorted(args.years), measure(sizes, args.runs))
        return
    path = directory / "clinic.db"
    last_day = datetime.now(ZONE).date() - timedelta(days=1)
    days = clinic_days(last_day, DAYS_A_YEAR * max(args.years))
    clinic = Clinic(path, days[0])
    grown, kept = 0, []
    for years in sorted(args.years):
        t0 = time.perf_counter()
        clinic.grow(days[grown:DAYS_A_YEAR * years], keep_live=True)
        grown = DAYS_A_YEAR * years
        clinic.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"grew to {years} year(s), {grown * CHAIRS * ROUNDS:,} sessions planned, in "
              f"{time.perf_counter() - t0:,.0f} s", flush=True)
        copy = directory / f"clinic-{years}y.db"
        shutil.copyfile(path, copy)  # checkpointed, no write in between: a consistent copy
        kept.append((copy, list(clinic.live), clinic.clock.moment + timedelta(minutes=1)))
    clinic.close()
    sizes = [Size(copy, clinic.tokens, live, now) for copy, live, now in kept]
    print_table(sorted(args.years), measure(sizes, args.runs))


if __name__ == "__main__":
    main()
