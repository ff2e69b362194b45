"""What the outcome views cost: the clinic's outcomes (/reports) and one patient's course, on a clinic
grown through the domain code (N patients, each a course of up to six infusions with PHQ-9 and GAD-7
before each), against the clinic's existing session report over the same sessions, measured in the
same run. Figures are printed, not asserted.

Run: flock /work/notes/bench.lock .venv/bin/python bench/outcomes.py [--patients 300] [--runs 5]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.alerts import triggers  # noqa: E402
from monitor.record import assessments, patients, sessions, users  # noqa: E402
from monitor.store.db import SYSTEM, Store  # noqa: E402
from monitor.views import course, outcome_report, reports  # noqa: E402

ZONE = ZoneInfo("Europe/London")


class Clock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def items(count: int, high: int, total: int) -> dict:
    out, left = {}, total
    for n in range(1, count + 1):
        out[f"item_{n}"] = 0 if (count == 9 and n == 9) else min(high, left)
        left -= out[f"item_{n}"]
    return out


def grow(store: Store, clock: Clock, count: int, start: datetime, rng: random.Random) -> list[int]:
    """`count` patients, each starting a course on a day of the last 20 weeks, stopping after 1–6."""
    with store.write(SYSTEM) as tx:
        nurse_id = users.add(tx, "bench-nurse", "nurse", "bench-password-1")
    nurse = users.actor_for(users.by_id(store.db, nurse_id))
    ids = []
    for n in range(count):
        clock.moment = start + timedelta(days=rng.randint(0, 140), hours=9)
        with store.write(nurse) as tx:
            patient = patients.create(tx, {"mrn": f"B-{n}", "family_name": f"Bench{n}", "given_name": "P",
                                           "birth_date": "1980-01-01"})["id"]
        ids.append(patient)
        phq9 = rng.randint(12, 24)
        for number in range(1, rng.choice((1, 2, 3, 6, 6, 6)) + 1):
            with store.write(nurse) as tx:
                sid = sessions.create(tx, {"patient_id": patient, "chair": "1", "drug": "ketamine", "route": "iv",
                                           "series_number": number, "indication": "depression"})["id"]
                sessions.transition(tx, sid, "baseline", clock.moment)
                for name, total in (("phq9", phq9), ("gad7", max(0, min(21, phq9 - 3)))):
                    spec = (9, 3) if name == "phq9" else (7, 3)
                    assessments.record(tx, sid, {"instrument": name, "items": items(*spec, total),
                                                 "at": clock.moment.isoformat()}, zone=ZONE)
                sessions.transition(tx, sid, "infusing", clock.moment + timedelta(minutes=5))
                sessions.transition(tx, sid, "recovery", clock.moment + timedelta(minutes=45))
            phq9 = max(0, phq9 - rng.randint(0, 5))
            clock.moment += timedelta(days=rng.choice((2, 3, 4)))
    return ids


def median_ms(call, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock(now)
        store = triggers.listen(Store(Path(tmp) / "bench.db", clock=clock, synchronous="OFF"))
        store.migrate()
        began = time.perf_counter()
        ids = grow(store, clock, options.patients, now - timedelta(weeks=22), random.Random(5))
        clock.moment = now
        dosed = store.db.execute("SELECT COUNT(*) FROM sessions WHERE first_dose_at IS NOT NULL").fetchone()[0]
        print(f"grew {options.patients} patients, {dosed} infusions in {time.perf_counter() - began:.1f} s")
        db = store.db
        baseline = median_ms(lambda: reports.clinic_report(db, now, ZONE, weeks=26), options.runs)
        outcome = median_ms(lambda: outcome_report.outcome_report(db, now, weeks=26), options.runs)
        one = median_ms(lambda: course.course(db, ids[0], now), options.runs)
        print(f"{'measure':<52} {'median ms':>10} {'ratio':>7}")
        print(f"{'baseline: reports.clinic_report (26 weeks)':<52} {baseline:>10.1f} {1:>7.2f}")
        print(f"{'outcome_report.outcome_report (26 weeks)':<52} {outcome:>10.1f} {outcome / baseline:>7.2f}")
        print(f"{'course.course (one patient)':<52} {one:>10.1f} {one / baseline:>7.2f}")
        store.close()


if __name__ == "__main__":
    main()
