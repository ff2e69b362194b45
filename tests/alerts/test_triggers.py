"""The alert engine hears a write's events: once per session per transaction, before COMMIT, and never
its own alert.* events. Every event type of the log has an entry in the table (None says "nothing")."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from monitor.alerts import engine, triggers
from monitor.record import notes, patients, sessions, users, vitals
from monitor.store import events
from monitor.store.db import Store
from tests.helpers import counts

UTC = ZoneInfo("UTC")
HIGH_BP = {"hr": 72, "sbp": 188, "dbp": 96, "spo2": 98, "rr": 14, "temp_c": 36.8, "consciousness": "A"}


def test_every_event_type_of_the_log_has_an_entry_in_the_trigger_table():
    assert set(triggers.TRIGGERS) == set(events.TYPES)


def test_the_engine_s_own_events_ask_for_nothing():
    assert {t for t in events.TYPES if t.startswith("alert.")} <= {t for t, e in triggers.TRIGGERS.items() if e is None}


@pytest.fixture
def nurse(store):
    return users.actor_for(users.by_name(store.db, "nurse"))


@pytest.fixture
def session_id(store, nurse):
    with store.write(nurse) as tx:
        patient = patients.create(tx, {"mrn": "TRIG-1", "family_name": "Okafor", "given_name": "Grace",
                                       "birth_date": "1979-03-14"})
        found = sessions.create(tx, {"patient_id": patient["id"], "chair": "1", "drug": "ketamine", "route": "iv"})
    return found["id"]


@pytest.fixture
def evaluations(monkeypatch):
    """Each call of the engine's vitals evaluation, by session (the real evaluation still runs)."""
    calls = []
    real = engine.evaluate_vitals

    def counted(tx, session_id):
        calls.append(session_id)
        real(tx, session_id)

    monkeypatch.setattr(engine, "evaluate_vitals", counted)
    return calls


def test_several_saves_in_one_transaction_are_evaluated_once_and_raise_one_alert(store, nurse, session_id,
                                                                                   evaluations):
    with store.write(nurse) as tx:
        vitals.record(tx, session_id, [HIGH_BP], zone=UTC)
        vitals.record(tx, session_id, [HIGH_BP | {"sbp": 190}, HIGH_BP | {"sbp": 192}], zone=UTC)
    assert evaluations == [session_id]
    raised = [a for a in engine.listing(store.db, "active", session_id)]
    assert [(a["key"], a["priority"]) for a in raised] == [("bp_high", "high")]


def test_acting_on_an_alert_does_not_wake_the_engine(store, nurse, session_id, evaluations):
    with store.write(nurse) as tx:
        vitals.record(tx, session_id, [HIGH_BP], zone=UTC)
    [alert] = engine.listing(store.db, "active", session_id)
    with store.write(nurse) as tx:
        engine.acknowledge(tx, alert["id"], "seen")
    assert evaluations == [session_id]


def test_the_engine_runs_inside_the_write_so_its_failure_rolls_the_write_back(store, db_path, nurse, session_id,
                                                                              monkeypatch):
    def broken(tx, session_id):
        raise RuntimeError("engine failed")

    monkeypatch.setattr(engine, "evaluate_vitals", broken)
    before = counts(db_path)
    with pytest.raises(RuntimeError), store.write(nurse) as tx:
        vitals.record(tx, session_id, [HIGH_BP], zone=UTC)
    assert counts(db_path) == before


def test_the_alert_is_in_the_same_commit_as_the_save(store, nurse, session_id):
    published = []
    store.on_commit(published.append)
    with store.write(nurse) as tx:
        vitals.record(tx, session_id, [HIGH_BP], zone=UTC)
    assert [[e["type"] for e in committed] for committed in published] == [["vitals.recorded", "alert.raised"]]


def test_an_escalation_note_and_a_save_in_one_write_each_ask_for_their_own_evaluation(store, nurse, session_id):
    with store.write(nurse) as tx:
        vitals.record(tx, session_id, [HIGH_BP], zone=UTC)
        notes.record(tx, session_id, {"kind": "escalation", "text": "call supervisor"}, zone=UTC)
    assert sorted(a["key"] for a in engine.listing(store.db, "active", session_id)) == ["bp_high", "escalation"]


def test_a_store_nobody_wired_to_the_engine_raises_nothing(db_path, nurse, session_id):
    """What `listen` adds: a bare Store is the store layer alone (a composition root must wire the engine)."""
    bare = Store(db_path)
    with bare.write(nurse) as tx:
        vitals.record(tx, session_id, [HIGH_BP], zone=UTC)
    assert engine.listing(bare.db, "active", session_id) == []
    triggers.listen(bare)
    with bare.write(nurse) as tx:
        vitals.record(tx, session_id, [HIGH_BP], zone=UTC)
    assert [a["key"] for a in engine.listing(bare.db, "active", session_id)] == ["bp_high"]
