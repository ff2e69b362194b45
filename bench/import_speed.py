"""Import speed: a generated 100,000-row canonical CSV through `monitor import` (the whole process, wall clock),
next to raw sqlite3 executemany of the same rows into the same schema in the same run.

Run: .venv/bin/python bench/import_speed.py [--rows 100000] [--runs 3] [--profile]. The figures are printed,
not asserted (the floor is 20,000 rows/s for `monitor import`). --profile also runs the import once in this
process under cProfile and prints where the time goes.
The monitor package's bytecode is compiled first, as `make setup` and an installed package have it.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from common import BIN, ROOT  # noqa: E402 - bench/common.py, beside this script

sys.path.insert(0, str(ROOT))

from monitor.alerts import triggers  # noqa: E402
from monitor.record import patients, sessions  # noqa: E402
from monitor.store.db import SYSTEM, Store  # noqa: E402

HEADER = "taken_at,hr,sbp,dbp,spo2,rr,temp_c,etco2,o2_lpm"


def generate_csv(path: Path, rows: int) -> None:
    """A monitor-like export: one row every 15 seconds, ending a minute ago, every value plausible."""
    start = datetime.now(timezone.utc) - timedelta(seconds=15 * rows + 60)
    with path.open("w") as out:
        out.write(HEADER + "\n")
        for i in range(rows):
            moment = (start + timedelta(seconds=15 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            out.write(f"{moment},{60 + i % 40},{110 + i % 50},{70 + i % 20},{94 + i % 6},{12 + i % 8},"
                      f"36.{i % 9},{35 + i % 5},{i % 3}\n")


def new_clinic(path: Path) -> int:
    """A migrated database with one patient and one session; returns the session's id."""
    store = Store(path)
    store.migrate()
    with store.write(SYSTEM) as tx:
        patient = patients.create(tx, {"mrn": "BENCH-1", "family_name": "Bench", "given_name": "Mark",
                                       "birth_date": "1970-01-01"})
        session = sessions.create(tx, {"patient_id": patient["id"], "chair": "1", "drug": "ketamine", "route": "iv"})
    store.close()
    return session["id"]


def monitor_import(db: Path, csv_path: Path, session_id: int) -> float:
    """Seconds for the whole `monitor import` process, start to exit."""
    env = os.environ | {"MONITOR_DB": str(db), "MONITOR_TIMEZONE": "UTC"}
    started = time.perf_counter()
    result = subprocess.run([str(BIN / "monitor"), "import", str(csv_path), "--session", str(session_id)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    if result.returncode:
        raise SystemExit(f"monitor import failed: {result.stdout[-2000:]}")
    return seconds


def raw_executemany(source: Path, target: Path) -> tuple[float, int]:
    """Seconds to insert the rows the import stored, with sqlite3 executemany in one transaction, into a fresh
    database of the same schema, indexes and pragmas (WAL, synchronous=FULL)."""
    new_clinic(target)
    with sqlite3.connect(source) as conn:
        cursor = conn.execute("SELECT * FROM vitals ORDER BY id")
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    sql = f"INSERT INTO vitals ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(sql, rows)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds, len(rows)


def profile_import(work: Path, csv_path: Path) -> None:
    import cProfile
    import pstats
    from zoneinfo import ZoneInfo

    from monitor.interop import imports

    db = work / "profile.db"
    session_id = new_clinic(db)
    store = triggers.listen(Store(db))
    profiler = cProfile.Profile()
    profiler.enable()
    imports.run(store, session_id, csv_path.read_bytes(), actor=SYSTEM, zone=ZoneInfo("UTC"))
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(18)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "monitor")], check=True)
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        csv_path = work / "vitals.csv"
        generate_csv(csv_path, args.rows)
        print(f"{args.rows:,} rows, {csv_path.stat().st_size / 1e6:.1f} MB of CSV, SQLite {sqlite3.sqlite_version}, "
              f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
        imported, raw = [], []
        for run in range(args.runs):
            db = work / f"import-{run}.db"
            session_id = new_clinic(db)
            imported.append(monitor_import(db, csv_path, session_id))
            seconds, count = raw_executemany(db, work / f"raw-{run}.db")
            assert count == args.rows, f"the import stored {count} rows"
            raw.append(seconds)
            print(f"run {run + 1}: monitor import {imported[-1]:6.2f} s = {args.rows / imported[-1]:8,.0f} rows/s   "
                  f"raw executemany {raw[-1]:6.2f} s = {args.rows / raw[-1]:8,.0f} rows/s")
        best, middle = min(imported), statistics.median(imported)
        print(f"monitor import (whole process): best {args.rows / best:,.0f} rows/s, median {args.rows / middle:,.0f}"
              f" rows/s (floor 20,000)")
        print(f"raw sqlite3 executemany:        best {args.rows / min(raw):,.0f} rows/s, median "
              f"{args.rows / statistics.median(raw):,.0f} rows/s")
        if args.profile:
            profile_import(work, csv_path)


if __name__ == "__main__":
    main()
