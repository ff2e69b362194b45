"""`monitor import` and `monitor export` as a person runs them: a real process, a progress bar on standard
error, the report (or the error) as JSON on standard output, nothing written by a dry run or a refusal."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from fhir.resources.R4B.bundle import Bundle

from tests.helpers import counts, monitor

from .test_imports_samples import DATA, IHE, MIMIC


def big_csv(tmp_path, rows: int):
    start = datetime.now(timezone.utc) - timedelta(seconds=15 * rows + 60)
    lines = [f"{(start + timedelta(seconds=15 * i)).strftime('%Y-%m-%dT%H:%M:%SZ')},{60 + i % 30},{110 + i % 40},"
             f"{70 + i % 15},{95 + i % 5},{12 + i % 6}" for i in range(rows)]
    path = tmp_path / "monitor-export.csv"
    path.write_text("taken_at,hr,sbp,dbp,spo2,rr\n" + "\n".join(lines) + "\n")
    return path


def test_import_prints_the_report_and_shows_progress(clinic, tmp_path):
    env, session_id = clinic
    result = monitor(env, "import", str(big_csv(tmp_path, 1200)), "--session", str(session_id))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["format"], report["imported"], report["duplicates"], report["rejected"]) == ("csv", 1200, 0, [])
    assert "storing: 100%" in result.stderr and "1200/1200" in result.stderr  # tqdm's bar
    assert "500/1200" in result.stderr  # counted against every reading to store from the first batch on


def test_a_dry_run_writes_nothing(clinic, db_path):
    env, session_id = clinic
    before = counts(db_path)
    result = monitor(env, "import", str(DATA / IHE / "PCD01_E.1.1_philips_physio_monitor.hl7"), "--session",
                     str(session_id), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert (json.loads(result.stdout)["imported"], json.loads(result.stdout)["dry_run"]) == (2, True)
    assert counts(db_path) == before


def test_a_refused_import_exits_1_with_the_error_as_json(clinic, db_path):
    env, session_id = clinic
    before = counts(db_path)
    result = monitor(env, "import", str(DATA / MIMIC / "derived_s25047-2704-05-04-10-44n.csv"), "--session",
                     str(session_id))
    assert result.returncode == 1
    answer = json.loads(result.stdout)
    assert answer["error"]["fields"] == {"line 2.taken_at": (
        "69 readings from 2704-05-04T09:44:18.529Z on are in the future: a de-identified file (dates shifted, as "
        "MIMIC's) must be imported with align_start, the time its first reading was taken")}
    assert answer["report"]["imported"] == 0
    assert "Error: Nothing was imported: line 2: 69 readings" in result.stderr
    assert counts(db_path) == before


def test_align_start_and_confirm_on_the_command_line(clinic):
    env, session_id = clinic
    result = monitor(env, "import", str(DATA / MIMIC / "derived_s25047-2704-05-04-10-44n.csv"), "--session",
                     str(session_id), "--align-start", "2024-05-01 10:00", "--confirm", "--format", "csv")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["imported"], report["first_taken_at"], report["align_start"]) == (
        69, "2024-05-01T09:00:00.000Z", "2024-05-01T09:00:00.000Z")


def test_import_as_a_named_user_records_who_entered_it(clinic, tmp_path):
    env, session_id = clinic
    result = monitor(env, "import", str(big_csv(tmp_path, 3)), "--session", str(session_id), "--user", "nurse")
    assert result.returncode == 0, result.stderr
    exported = monitor(env, "export", str(session_id), "--format", "csv")
    assert [line.split(",")[-2] for line in exported.stdout.splitlines()[1:]] == ["nurse"] * 3


def test_export_writes_a_file(clinic, tmp_path):
    env, session_id = clinic
    monitor(env, "import", str(DATA / IHE / "PCD01_E.1.1_philips_physio_monitor.hl7"), "--session", str(session_id))
    out = tmp_path / "session.fhir.json"
    result = monitor(env, "export", str(session_id), "--format", "fhir", "-o", str(out))
    assert result.returncode == 0, result.stderr
    bundle = json.loads(out.read_text())
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "collection")
    Bundle.model_validate(bundle)
    assert f"written to {out}" in result.stderr


def test_an_unknown_session_is_an_error(clinic):
    env, _ = clinic
    result = monitor(env, "export", "9999", "--format", "csv")
    assert (result.returncode, result.stderr.strip()) == (1, "Error: no session 9999")
