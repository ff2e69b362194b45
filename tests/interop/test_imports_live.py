"""A large import reaches the dashboards as vitals.batch events: a real server, a real Socket.IO client
subscribed to the dashboard, and `monitor import` run as its own process."""
from __future__ import annotations

import subprocess
import threading

import requests
import socketio

from tests.helpers import BIN, ROOT

from .test_imports_cli import big_csv


def test_a_large_import_reaches_the_dashboard_as_vitals_batch_events(live_server, tmp_path):
    headers = {"Authorization": f"Bearer {live_server.tokens['nurse']}"}
    patient = requests.post(f"{live_server.url}/api/patients", headers=headers, timeout=10, json={
        "mrn": "LIVE-9", "family_name": "Okonkwo", "given_name": "Ada", "birth_date": "1990-01-09"}).json()
    session = requests.post(f"{live_server.url}/api/sessions", headers=headers, timeout=10, json={
        "patient_id": patient["id"], "chair": "4", "drug": "ketamine", "route": "iv"}).json()

    batches, arrived = [], threading.Condition()

    def on_event(event):
        if event["type"] == "vitals.batch":
            with arrived:
                batches.append(event)
                arrived.notify_all()

    client = socketio.Client(reconnection=False)
    client.on("event", on_event, namespace="/live")
    client.connect(live_server.url, namespaces=["/live"], transports=["websocket"],
                   auth={"token": live_server.tokens["clinician"]}, wait_timeout=5)
    try:
        acked = threading.Event()
        client.emit("subscribe", {"dashboard": True}, namespace="/live", callback=lambda ack: acked.set())
        assert acked.wait(5)
        result = subprocess.run([str(BIN / "monitor"), "import", str(big_csv(tmp_path, 1200)), "--session",
                                 str(session["id"])], env=live_server.env, capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 0, result.stderr
        with arrived:
            assert arrived.wait_for(lambda: len(batches) == 3, timeout=10), batches
    finally:
        client.disconnect()
    assert [len(event["data"]["records"]) for event in batches] == [500, 500, 200]
    assert {event["session_id"] for event in batches} == {session["id"]}
    seqs = [event["seq"] for event in batches]
    assert seqs == sorted(seqs) and seqs[2] - seqs[0] == 2
    record = batches[0]["data"]["records"][0]
    assert (record["source"], record["status"], record["hr"], record["sbp"]) == ("import:csv", "current", 60, 110)
