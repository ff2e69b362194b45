"""The publisher: everything in the event log goes out once, in order, whoever wrote it.

Publishers here run in-process on real SQLite files, emitting into lists; the last test subscribes
on the real server while saves stream in.
"""
from __future__ import annotations

import threading
import time
from datetime import timezone

import pytest

from monitor.record import users, vitals
from monitor.store.db import SYSTEM, Store
from monitor.web.live import Publisher
from tests.helpers import call, open_store, wait_until

from .test_live_stream import Wire, new_session, save


@pytest.fixture
def session_id(store, tokens):
    from monitor.record import patients, sessions

    with store.write(SYSTEM) as tx:
        patient = patients.create(tx, {"mrn": "P-1", "family_name": "Ito", "given_name": "Ren",
                                       "birth_date": "1990-01-01"})
        return sessions.create(tx, {"patient_id": patient["id"], "chair": "2", "drug": "ketamine",
                                    "route": "iv"})["id"]


def record(store: Store, session_id: int, hr: int) -> None:
    nurse = users.actor_for(users.by_name(store.db, "nurse"))
    with store.write(nurse) as tx:
        vitals.record(tx, session_id, [{"hr": hr}], zone=timezone.utc)



def test_a_commit_in_this_process_is_published_at_once(store, session_id):
    emitted = []
    publisher = Publisher(store, emitted.append, poll=60)  # no polling: only the commit can wake it
    store.on_commit(publisher.committed)
    publisher.start()
    try:
        record(store, session_id, 70)
        assert wait_until(lambda: [e["type"] for e in emitted] == ["vitals.recorded"], seconds=1)
    finally:
        publisher.stop()


def test_a_commit_by_another_connection_is_found_by_polling(store, db_path, session_id):
    emitted = []
    publisher = Publisher(store, emitted.append, poll=0.05)
    publisher.start()
    other_process = open_store(db_path)  # its commits do not wake this publisher
    try:
        for hr in (71, 72, 73):
            record(other_process, session_id, hr)
        assert wait_until(lambda: len(emitted) == 3, seconds=3)
        assert [e["data"]["hr"] for e in emitted] == [71, 72, 73]
    finally:
        publisher.stop()
        other_process.close()


def test_every_process_publishes_every_event_to_its_own_sockets_once_and_in_order(store, db_path, session_id):
    """Two server processes on one database: each tails the one log, whoever wrote the event."""
    first_out, second_out = [], []
    first = Publisher(store, first_out.append, poll=0.05)
    other_store = open_store(db_path)
    second = Publisher(other_store, second_out.append, poll=0.05)
    store.on_commit(first.committed)
    other_store.on_commit(second.committed)
    first.start()
    second.start()
    try:
        for hr in (80, 81, 82, 83):
            record(store if hr % 2 else other_store, session_id, hr)
        assert wait_until(lambda: len(first_out) == 4 and len(second_out) == 4, seconds=3)
    finally:
        first.stop()
        second.stop()
        other_store.close()
    assert [e["data"]["hr"] for e in first_out] == [80, 81, 82, 83]
    assert [e["seq"] for e in second_out] == [e["seq"] for e in first_out]


def test_subscribing_while_saves_stream_in_misses_nothing_and_doubles_nothing(live_server):
    """Read on the wire, frame by frame: each subscriber gets every event after its `since`, once, in order."""
    session_id = new_session(live_server)
    start = call(live_server, "GET", "/api/events?since=0&limit=1")["last_seq"]
    stop = threading.Event()

    def keep_saving():
        hr = 60
        while not stop.is_set():
            save(live_server, session_id, hr=hr)
            hr = 60 + (hr - 59) % 40

    writer = threading.Thread(target=keep_saving)
    writer.start()
    wires = []
    try:
        for _ in range(5):
            time.sleep(0.05)
            wire = Wire(live_server, live_server.tokens["nurse"])
            wire.subscribe({"dashboard": True, "since": start})
            wires.append(wire)
        time.sleep(0.2)
    finally:
        stop.set()
        writer.join()
    logged = [e["seq"] for e in call(live_server, "GET", f"/api/events?since={start}&limit=5000")["events"]]
    assert len(logged) > 10
    for wire in wires:
        frames = []
        while len([f for f in frames if f[0] == "event"]) < len(logged):
            frames.append(wire.read())
        wire.ws.close()
        assert [body["seq"] for kind, body in frames if kind == "event"] == logged
        assert sum(kind == "ack" for kind, _ in frames) == 1
