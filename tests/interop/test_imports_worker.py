"""A long file given to `monitor import` is checked in a second process while the first one stores it:
what it stores, refuses and reports is what the in-process import gives, and a failure on either side
leaves nothing behind."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from monitor.interop import import_rows, import_worker, imports
from monitor.record import feed, patients, sessions
from monitor.store.db import SYSTEM, Store
from tests.helpers import counts, monitor, open_store

LONG = 20_700  # readings: a file long enough for the second process
ZONE = ZoneInfo("Europe/London")


def long_csv(tmp_path, rows: int = LONG, *, change=None):
    """A monitor-like export with every kind of cell the import meets: whole and decimal values, O2 flow 0,
    empty cells and a note. `change(i, cells)` may alter row i."""
    start = datetime.now(timezone.utc) - timedelta(seconds=5 * rows + 60)
    lines = ["taken_at,hr,sbp,dbp,spo2,rr,temp_c,o2_lpm,note"]
    for i in range(rows):
        cells = [(start + timedelta(seconds=5 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"), str(60 + i % 35),
                 str(105 + i % 50) if i % 7 else "", str(65 + i % 20) if i % 7 else "", str(93 + i % 8),
                 str(11 + i % 9), f"36.{i % 10}" if i % 3 == 0 else "", str(i % 3),
                 "repositioned" if i % 997 == 0 else ""]
        if change:
            change(i, cells)
        lines.append(",".join(cells))
    path = tmp_path / "long-export.csv"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size >= import_worker.LONG
    return path


def new_session(store: Store, mrn: str) -> int:
    with store.write(SYSTEM) as tx:
        patient = patients.create(tx, {"mrn": mrn, "family_name": "Adeyemi", "given_name": "Tolu",
                                       "birth_date": "1984-02-29"})
        return sessions.create(tx, {"patient_id": patient["id"], "chair": mrn[-1], "drug": "ketamine",
                                    "route": "iv"})["id"]


def stored_rows(store: Store, session_id: int) -> list[tuple]:
    """What was stored for each reading, without what differs by session or moment of entry."""
    return store.db.execute(
        "SELECT taken_at, hr, sbp, dbp, spo2, rr, temp_c, etco2, o2_lpm, consciousness, pain, moaas, map, news2, note,"
        " source, late, import_key FROM vitals WHERE session_id = ? ORDER BY taken_at, id", (session_id,)).fetchall()


def batch_records(store: Store, session_id: int) -> list[list[dict]]:
    """The records of the session's vitals.batch events as catch-up and the live stream give them."""
    ignored = {"id", "session_id", "seq", "entered_at"}
    return [[{k: v for k, v in record.items() if k not in ignored} for record in event["data"]["records"]]
            for event in feed.since(store.db, 0, session_id=session_id, limit=10_000)
            if event["type"] == "vitals.batch"]


@pytest.fixture
def spied(monkeypatch):
    """Counts the imports that went through the second process."""
    calls = []
    real = import_worker.store

    def store(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(import_worker, "store", store)
    return calls


def run(store, session_id, path, worker, **options):
    return imports.run(store, session_id, path.read_bytes(), actor=SYSTEM, zone=ZONE,
                       options=imports.Options(**options), worker=worker)


def test_the_second_process_stores_what_the_in_process_import_stores(db_path, tmp_path, spied):
    store = open_store(db_path)
    here, there = new_session(store, "W-1"), new_session(store, "W-2")
    path = long_csv(tmp_path)
    report_here = run(store, here, path, worker=False)
    assert spied == []
    report_there = run(store, there, path, worker=True)
    assert spied == [1]
    assert report_there == report_here
    assert report_here["imported"] == LONG
    assert stored_rows(store, there) == stored_rows(store, here)
    assert batch_records(store, there) == batch_records(store, here)
    assert [len(batch) for batch in batch_records(store, there)] == [500] * (LONG // 500) + [LONG % 500]
    audits = [json.loads(after) for (after,) in store.db.execute(
        "SELECT after FROM audit WHERE action = 'vitals.import' ORDER BY id")]
    for summary in audits:
        assert summary["last_id"] - summary["first_id"] == LONG - 1
        summary.pop("first_id"), summary.pop("last_id")
    assert audits[0] == audits[1]
    assert store.db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize("disorder", ["a row out of time order", "two rows at the same time"])
def test_a_file_out_of_time_order_is_read_again_whole(db_path, tmp_path, spied, disorder):
    """The second process reads a CSV as it goes while its times go forward; a row back in time (or a
    repeated time, whose values are merged) halfway through undoes the batches already inserted and the
    file is read whole, as the in-process import reads it."""
    def disorder_at_half(i, cells):
        if i == LONG // 2:
            moment = datetime.fromisoformat(cells[0]) - timedelta(seconds=5 if "same" in disorder else 3601)
            cells[0] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            cells[6] = "36.4"

    store = open_store(db_path)
    here, there = new_session(store, "W-7"), new_session(store, "W-8")
    path = long_csv(tmp_path, change=disorder_at_half)
    report_here = run(store, here, path, worker=False)
    report_there = run(store, there, path, worker=True)
    assert spied == [1]
    assert report_there == report_here
    assert stored_rows(store, there) == stored_rows(store, here)
    assert batch_records(store, there) == batch_records(store, here)
    stored = LONG - 1 if "same" in disorder else LONG
    assert store.db.execute("SELECT COUNT(*) FROM vitals WHERE session_id = ?", (there,)).fetchone()[0] == stored
    batches = store.db.execute("SELECT COUNT(*) FROM events WHERE session_id = ? AND type = 'vitals.batch'",
                               (there,)).fetchone()[0]
    assert batches == -(-stored // 500)  # the batches of the first reading were undone, not kept twice


def test_a_long_file_goes_through_the_second_process_from_the_command_line(clinic, db_path, tmp_path):
    env, session_id = clinic
    path = long_csv(tmp_path)
    result = monitor(env, "import", str(path), "--session", str(session_id))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["imported"] == LONG
    assert f"{LONG}/{LONG}" in result.stderr  # the progress bar reached the end
    again = monitor(env, "import", str(path), "--session", str(session_id))
    assert (json.loads(again.stdout)["imported"], json.loads(again.stdout)["duplicates"]) == (0, LONG)
    assert counts(db_path)["vitals"] == LONG


def impossible_near_the_end(i, cells):
    if i == LONG - 30:
        cells[1] = "400"


def test_a_bad_value_near_the_end_stores_nothing_and_says_where(clinic, db_path, tmp_path):
    env, session_id = clinic
    before = counts(db_path)
    result = monitor(env, "import", str(long_csv(tmp_path, change=impossible_near_the_end)), "--session",
                     str(session_id))
    assert result.returncode == 1
    answer = json.loads(result.stdout)
    assert answer["error"]["code"] == "validation_failed"
    assert answer["error"]["fields"] == {f"line {LONG - 30 + 2}.hr": "HR must be above 0 and at most 300 /min"}
    assert (answer["report"]["imported"], answer["report"]["rejected_count"]) == (0, 1)
    assert counts(db_path) == before  # the batches inserted before the bad row were rolled back


def test_skip_invalid_stores_the_rest_of_a_long_file(clinic, db_path, tmp_path):
    env, session_id = clinic
    result = monitor(env, "import", str(long_csv(tmp_path, change=impossible_near_the_end)), "--session",
                     str(session_id), "--skip-invalid")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["imported"] == LONG - 1
    assert f"{LONG - 1}/{LONG - 1}" in result.stderr  # the bar ends full, at what was stored
    assert counts(db_path)["vitals"] == LONG - 1


def test_an_unusual_value_needs_confirm_in_a_long_file_too(clinic, db_path, tmp_path):
    env, session_id = clinic

    def slow_pulse(i, cells):
        if i == 5000:
            cells[1] = "25"

    path = long_csv(tmp_path, change=slow_pulse)
    refused = monitor(env, "import", str(path), "--session", str(session_id))
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["error"]["code"] == "needs_confirmation"
    assert counts(db_path)["vitals"] == 0
    confirmed = monitor(env, "import", str(path), "--session", str(session_id), "--confirm")
    assert confirmed.returncode == 0, confirmed.stderr
    assert json.loads(confirmed.stdout)["imported"] == LONG


def test_when_the_checking_process_fails_nothing_is_stored(db_path, tmp_path, monkeypatch):
    store = open_store(db_path)
    session_id = new_session(store, "W-3")
    before = counts(db_path)
    built = import_rows.Batches.build

    def fail_at_the_tenth(self, items):
        if self.stored >= 9 * 500:
            raise RuntimeError("the checking process ran out of luck")
        return built(self, items)

    monkeypatch.setattr(import_rows.Batches, "build", fail_at_the_tenth)  # the child is forked with it
    with pytest.raises(RuntimeError, match="checking process failed:(.|\n)*ran out of luck"):
        run(store, session_id, long_csv(tmp_path), worker=True)
    assert counts(db_path) == before


def test_when_storing_fails_the_checking_process_is_stopped(db_path, tmp_path, monkeypatch):
    store = open_store(db_path)
    session_id = new_session(store, "W-4")
    before = counts(db_path)
    inserted = []

    def fail_on_the_third(*args, **kwargs):
        inserted.append(1)
        if len(inserted) == 3:
            raise OSError("disk full")
        return import_rows.insert(*args, **kwargs)

    monkeypatch.setattr(import_worker, "insert", fail_on_the_third)
    started = time.monotonic()
    with pytest.raises(OSError, match="disk full"):
        run(store, session_id, long_csv(tmp_path), worker=True)
    assert time.monotonic() - started < 8  # the child was stopped, not waited for
    assert counts(db_path) == before
    assert import_worker.multiprocessing.active_children() == []


def test_a_refusal_found_by_the_checking_process_is_the_in_process_refusal(db_path, tmp_path):
    store = open_store(db_path)
    here, there = new_session(store, "W-5"), new_session(store, "W-6")
    path = long_csv(tmp_path, change=impossible_near_the_end)
    refusals = []
    for session_id, worker in ((here, False), (there, True)):
        with pytest.raises(imports.ImportRefused) as refused:
            run(store, session_id, path, worker=worker)
        refusals.append(refused.value.to_json())
    assert refusals[0] == refusals[1]
    assert refusals[0]["report"]["rejected"] == [
        {"where": f"line {LONG - 30 + 2}", "field": "hr", "message": "HR must be above 0 and at most 300 /min"}]
