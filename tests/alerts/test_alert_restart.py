"""The alert schedule keeps no state outside the database: open alerts and their timers survive a restart."""
from datetime import datetime, timezone

import pytest

from monitor.alerts import scheduler
from monitor.record import vitals
from monitor.store.db import Actor
from tests.helpers import call, counts, open_store, wait_until

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def session_id(api, clock):
    clock.set(START)
    sid = api.session(planned_minutes=40)["id"]
    api.transition(sid, "baseline")
    api.vitals(sid, {"hr": 72, "sbp": 120, "dbp": 80})
    api.transition(sid, "infusing")
    return sid


def test_a_tick_with_nothing_due_writes_nothing(api, store, clock, session_id, db_path):
    api.vitals(session_id, {"hr": 75})
    clock.advance(minutes=14)
    before = counts(db_path)
    assert scheduler.tick(store, clock()) == 0
    assert counts(db_path) == before


def test_a_re_raise_that_falls_due_while_the_server_is_down_happens_after_the_restart(api, store, clock, db_path,
                                                                                     session_id):
    api.vitals(session_id, {"hr": 125})
    [alert] = api.get("/api/alerts").get_json()["items"]
    api.post(f"/api/alerts/{alert['id']}/acknowledge", {"comment": "known tachycardia"})
    store.close()

    restarted = open_store(db_path, clock=clock)
    clock.advance(minutes=7)
    assert scheduler.tick(restarted, clock()) == 1
    row = restarted.db.execute("SELECT state, raised_at FROM alerts WHERE id = ?", (alert["id"],)).fetchone()
    assert row == ("active", "2026-03-02T09:07:00.000Z")
    restarted.close()


def test_an_overdue_alert_raised_before_a_restart_clears_with_the_next_vitals_after_it(api, store, clock, db_path,
                                                                                       session_id):
    clock.advance(minutes=16)
    scheduler.tick(store, clock())
    assert [a["key"] for a in api.get("/api/alerts").get_json()["items"]] == ["vitals_overdue"]
    store.close()

    restarted = open_store(db_path, clock=clock)
    nurse = restarted.db.execute("SELECT id FROM users WHERE username = 'nurse'").fetchone()[0]
    with restarted.write(Actor(nurse, "nurse", "nurse")) as tx:
        vitals.record(tx, session_id, [{"hr": 80}], zone=timezone.utc)
    assert scheduler.tick(restarted, clock()) == 0
    assert restarted.db.execute("SELECT key, state FROM alerts").fetchall() == [("vitals_overdue", "cleared")]
    restarted.close()


def test_a_silence_that_ran_out_while_down_ends_on_the_first_tick(api, store, clock, db_path, session_id):
    api.vitals(session_id, {"temp_c": 39.5})
    [alert] = api.get("/api/alerts").get_json()["items"]
    api.post(f"/api/alerts/{alert['id']}/silence", {"minutes": 3})
    store.close()
    restarted = open_store(db_path, clock=clock)
    clock.advance(minutes=4)
    assert scheduler.tick(restarted, clock()) == 1
    assert restarted.db.execute("SELECT key, state, silenced_until FROM alerts").fetchall() == [
        ("temp", "active", None)]
    restarted.close()


# The real server: the alerts and the scheduler thread across a process restart.


def test_open_alerts_survive_a_server_restart_and_its_scheduler_runs_after_it(live_server):
    patient = call(live_server, "POST", "/api/patients", {"mrn": "R-1", "family_name": "Reyes", "given_name": "Ana",
                                                         "birth_date": "1985-06-01"})
    session = call(live_server, "POST", "/api/sessions", {"patient_id": patient["id"], "chair": "4",
                                                          "drug": "ketamine", "route": "iv"})
    call(live_server, "POST", f"/api/sessions/{session['id']}/vitals", {"sbp": 188, "dbp": 112, "hr": 88})
    before = call(live_server, "GET", "/api/alerts")["items"]
    assert [(a["key"], a["priority"], a["state"], a["latched"]) for a in before] == [("bp_high", "high", "active",
                                                                                     True)]

    live_server.restart()
    assert call(live_server, "GET", "/api/alerts")["items"] == before

    silenced = call(live_server, "POST", f"/api/alerts/{before[0]['id']}/silence", {"minutes": 0.02})
    assert silenced["silenced_until"] is not None  # 1.2 seconds: the server's own scheduler ends it
    assert wait_until(lambda: call(live_server, "GET", "/api/alerts")["items"][0]["silenced_until"] is None,
                      seconds=5, every=0.1)
