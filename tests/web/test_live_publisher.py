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
from monitor.web.live import Lease, Publisher
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


def test_only_the_lease_holder_publishes_and_a_successor_carries_on_without_gap_or_double(store, db_path,
                                                                                          session_id):
    lease_file = db_path.with_suffix(".publisher")
    first_out, second_out = [], []
    first = Publisher(store, first_out.append, Lease(lease_file), poll=0.05)
    second = Publisher(open_store(db_path), second_out.append, Lease(lease_file), poll=0.05)
    first.start()
    assert wait_until(lambda: first.last_published is not None, seconds=3)
    second.start()
    record(store, session_id, 80)
    record(store, session_id, 81)
    assert wait_until(lambda: len(first_out) == 2, seconds=3)
    first.stop()  # the holder goes away (a process that dies releases its lock the same way)
    record(store, session_id, 82)
    assert wait_until(lambda: len(second_out) == 1, seconds=3)
    second.stop()
    assert [e["data"]["hr"] for e in first_out] == [80, 81]
    assert [e["data"]["hr"] for e in second_out] == [82]


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
