"""The `monitor` command: every command has help, set-up, users, tokens, backup and the demo clinic."""
import sqlite3

import click
import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.store import audit
from tests.helpers import open_store


def all_commands(group, prefix=()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


@pytest.mark.parametrize("path, command", list(all_commands(main)),
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_has_help(path, command):
    assert command.help, f"monitor {' '.join(path)} has no help"
    result = CliRunner().invoke(main, list(path) + ["--help"])
    assert result.exit_code == 0


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("MONITOR_DB", str(tmp_path / "clinic.db"))
    return tmp_path


def test_init_db_is_safe_to_run_twice(env):
    runner = CliRunner()
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    conn = sqlite3.connect(env / "clinic.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert (env / "clinic.db.secret").exists()


def test_user_add_and_token_create_give_a_working_token(env):
    runner = CliRunner()
    added = runner.invoke(main, ["user", "add", "maria", "--role", "nurse", "--password-stdin"],
                          input="correct horse battery\n")
    assert added.exit_code == 0, added.output
    created = runner.invoke(main, ["token", "create", "maria"])
    assert created.exit_code == 0
    token = created.stdout.strip()
    assert created.stdout == token + "\n" and len(token) >= 40
    from monitor import config
    from monitor.web.app import create_app

    client = create_app(config.from_env()).test_client()
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json() == {"id": 1, "username": "maria", "role": "nurse"}
    stored = sqlite3.connect(env / "clinic.db").execute("SELECT token_hash FROM api_tokens").fetchone()[0]
    assert token not in stored
    stored = sqlite3.connect(env / "clinic.db").execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$")


def test_user_add_refuses_a_duplicate_and_a_short_password(env):
    runner = CliRunner()
    runner.invoke(main, ["user", "add", "maria", "--role", "nurse", "--password-stdin"], input="long enough pw\n")
    again = runner.invoke(main, ["user", "add", "maria", "--role", "nurse", "--password-stdin"], input="long enough\n")
    assert again.exit_code != 0 and "exists" in again.output
    short = runner.invoke(main, ["user", "add", "jo", "--role", "nurse", "--password-stdin"], input="short\n")
    assert short.exit_code != 0


def test_demo_seeds_sessions_in_every_state_once(env):
    runner = CliRunner()
    seeded = runner.invoke(main, ["demo"])
    assert seeded.exit_code == 0, seeded.output
    assert "nurse" in seeded.output and "password" in seeded.output
    store = open_store(env / "clinic.db")
    states = {r[0] for r in store.db.execute("SELECT DISTINCT state FROM sessions")}
    assert states == {"scheduled", "baseline", "infusing", "paused", "recovery", "ready", "discharged", "aborted"}
    effects = "SELECT COUNT(*) FROM side_effects WHERE kind IN ('nausea', 'dissociation')"
    assert store.db.execute(effects).fetchone()[0] >= 2
    assert store.db.execute("SELECT COUNT(*) FROM signatures").fetchone()[0] >= 1
    late = store.db.execute("SELECT COUNT(*) FROM vitals WHERE late = 1").fetchone()[0]
    assert late == 0
    peak = store.db.execute(
        "SELECT v.sbp FROM vitals v JOIN transitions t ON t.session_id = v.session_id AND t.to_state = 'infusing'"
        " WHERE v.session_id = 1 ORDER BY v.sbp DESC LIMIT 1").fetchone()[0]
    baseline = store.db.execute("SELECT sbp FROM vitals WHERE session_id = 1 ORDER BY taken_at LIMIT 1").fetchone()[0]
    assert peak - baseline >= 8  # the ketamine BP rise near 40 minutes
    assert audit.verify(store.db)[1] is None
    count = store.db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
    runner.invoke(main, ["demo"])
    assert store.db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == count


def test_demo_carries_a_day_of_alarms_of_every_kind_and_a_shift_change(env):
    from datetime import datetime, timedelta, timezone

    from monitor.record import shifts, users
    from monitor.rules import alert_rules
    from monitor.views import alarms, handover

    CliRunner().invoke(main, ["demo"])
    store = open_store(env / "clinic.db")
    now = datetime.now(timezone.utc)
    review = alarms.alarm_review(store.db, now - timedelta(days=1), now)
    kinds = set(alert_rules.DEFAULT_RULES) - {"early_discharge", "reraise_after_minutes", "max_silence_minutes",
                                              "outcomes", "rems_form_due"}  # a reminder days after a session
    assert {r["key"] for r in review["rules"]} >= kinds
    assert {r["version"] for r in review["versions"]} == {0, 1}
    assert sum(r["silences"] for r in review["rules"]) >= 1 and sum(r["reraises"] for r in review["rules"]) >= 1
    assert {r["key"] for r in review["review"]} >= {"spo2"}
    [given] = shifts.for_user(store.db, users.by_name(store.db, "nurse2")["id"])
    assert (given["from"], given["to"], given["chairs"]) == ("nurse", "nurse2", ["4", "5", "6"])
    assert given["accepted_at"] is not None
    sheet = handover.handover(store.db, now, now - timedelta(hours=8))
    assert [b["chair"] for b in sheet["blocks"]] == ["1", "2", "3", "4", "5", "6", "7", "8", "9"]


def test_demo_live_adds_vitals_to_active_sessions(env):
    from monitor import demo

    CliRunner().invoke(main, ["demo"])
    store = open_store(env / "clinic.db")
    before = store.db.execute("SELECT COUNT(*) FROM vitals").fetchone()[0]
    demo.run_live(store, interval=0, rounds=1)
    after = store.db.execute("SELECT COUNT(*) FROM vitals").fetchone()[0]
    assert after - before == 3  # infusing, paused and recovery sessions


def test_backup_makes_a_checked_copy_that_opens(env):
    runner = CliRunner()
    runner.invoke(main, ["demo"])
    result = runner.invoke(main, ["backup", str(env / "copy.db")])
    assert result.exit_code == 0, result.output
    copy = sqlite3.connect(env / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 17
    refused = runner.invoke(main, ["backup", str(env / "copy.db")])
    assert refused.exit_code != 0


def test_serve_refuses_a_weak_configuration(env, monkeypatch):
    monkeypatch.setenv("MONITOR_SECRET_KEY", "short")
    monkeypatch.setenv("MONITOR_ALLOWED_ORIGINS", "*")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code != 0
    assert "MONITOR_SECRET_KEY" in result.output and "'*'" in result.output
