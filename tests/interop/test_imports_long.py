"""A long file given to `monitor import` (a whole day of a monitor at one reading every 5 seconds is
17,280): stored whole with its progress, or refused whole, naming where."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from tests.helpers import counts, monitor

LONG = 20_700  # readings


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
    return path


def test_a_long_file_from_the_command_line_is_stored_with_its_progress(clinic, db_path, tmp_path):
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
    assert counts(db_path) == before


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
