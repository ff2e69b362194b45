"""The live stream of CONTRACT.md §3 with a real python-socketio client over a real port.

One production server (gunicorn, threads) serves the whole module; each test makes its own sessions.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time

import pytest
import requests
import socketio

from tests.helpers import PASSWORDS, ROOT, LiveServer, call

NS = "/live"


class Listener:
    """A socket on /live that keeps, in arrival order, every event and every subscribe ack."""

    def __init__(self, live_server: LiveServer):
        self.live_server = live_server
        self.arrivals: list[tuple[str, dict]] = []
        self.changed = threading.Condition()
        self.closed = threading.Event()
        self.client = socketio.Client(reconnection=False)
        self.client.on("event", lambda e: self.arrived("event", e), namespace=NS)
        self.client.on("disconnect", self.closed.set, namespace=NS)

    def arrived(self, kind: str, body: dict) -> None:
        with self.changed:
            self.arrivals.append((kind, body))
            self.changed.notify_all()

    def connect(self, token: str | None = None, cookie: str | None = None, origin: str | None = None):
        headers = {k: v for k, v in (("Cookie", cookie), ("Origin", origin)) if v}
        self.client.connect(self.live_server.url, namespaces=[NS], transports=["websocket"], headers=headers,
                            auth={"token": token} if token else None, wait_timeout=5)
        return self

    def subscribe(self, **body) -> dict:
        self.client.emit("subscribe", body, namespace=NS, callback=lambda ack: self.arrived("ack", ack))
        return self.wait_for(lambda: any(kind == "ack" for kind, _ in self.arrivals))[-1][1]

    def wait_for(self, done, seconds: float = 5.0) -> list:
        with self.changed:
            assert self.changed.wait_for(lambda: done(), timeout=seconds), f"timed out; got {self.arrivals}"
            return [a for a in self.arrivals if a[0] == "ack"]

    def events(self) -> list[dict]:
        with self.changed:
            return [body for kind, body in self.arrivals if kind == "event"]

    def wait_events(self, count: int, seconds: float = 5.0) -> list[dict]:
        self.wait_for(lambda: len([a for a in self.arrivals if a[0] == "event"]) >= count, seconds)
        return self.events()

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def listen(live_server):
    opened = []

    def open_listener(**credentials) -> Listener:
        listener = Listener(live_server).connect(**credentials)
        opened.append(listener)
        return listener

    yield open_listener
    for listener in opened:
        listener.close()


def new_session(live_server, chair="1") -> int:
    mrn = f"L-{time.monotonic_ns()}"
    patient = call(live_server, "POST", "/api/patients", {"mrn": mrn, "family_name": "Ngata", "given_name": "Mere",
                                                     "birth_date": "1971-11-02"})
    return call(live_server, "POST", "/api/sessions", {"patient_id": patient["id"], "chair": chair, "drug": "ketamine",
                                                  "route": "iv"})["id"]


def save(live_server, session_id, **values) -> dict:
    return call(live_server, "POST", f"/api/sessions/{session_id}/vitals", values)


def last_seq(live_server) -> int:
    return call(live_server, "GET", "/api/events?since=0&limit=1")["last_seq"]


def signed_in(live_server, role: str) -> requests.Session:
    browser = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(live_server.url + "/login").text).group(1)
    answer = browser.post(live_server.url + "/login", data={"username": role, "password": PASSWORDS[role],
                                                       "csrf_token": token}, allow_redirects=False)
    assert answer.status_code == 302
    return browser


def cookie_header(browser: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


# Who may connect

def test_a_connection_without_credentials_is_refused(live_server):
    with pytest.raises(socketio.exceptions.ConnectionError):
        Listener(live_server).connect()


def test_a_connection_with_a_bad_token_is_refused(live_server):
    with pytest.raises(socketio.exceptions.ConnectionError):
        Listener(live_server).connect(token="not-a-token")


def test_a_connection_from_another_site_is_refused(live_server):
    with pytest.raises(socketio.exceptions.ConnectionError):
        Listener(live_server).connect(token=live_server.tokens["nurse"], origin="http://elsewhere.example")


def test_the_browser_login_cookie_connects(live_server, listen):
    browser = signed_in(live_server, "clinician")
    listener = listen(cookie=cookie_header(browser))
    assert listener.subscribe(dashboard=True) == {"ok": True, "last_seq": last_seq(live_server)}


# What arrives

def test_a_saved_vitals_arrives_as_vitals_recorded_with_the_same_seq(live_server, listen):
    session_id = new_session(live_server)
    listener = listen(token=live_server.tokens["clinician"])
    listener.subscribe(dashboard=True)
    saved = save(live_server, session_id, hr=82, sbp=128, dbp=79, spo2=98)
    [event] = listener.wait_events(1)
    assert (event["seq"], event["type"], event["session_id"], event["data"]) == (
        saved["seq"], "vitals.recorded", session_id, saved)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["at"])


def test_subscribe_since_replays_exactly_the_missed_events_in_order_then_acks_then_goes_live(live_server, listen):
    session_id = new_session(live_server)
    first = listen(token=live_server.tokens["nurse"])
    first.subscribe(dashboard=True)
    save(live_server, session_id, hr=80)
    seen = first.wait_events(1)[-1]["seq"]
    first.close()

    for hr in (81, 82, 83):  # missed while away: three vitals and the alert of the last one
        save(live_server, session_id, hr=hr)
    save(live_server, session_id, hr=140)
    missed = call(live_server, "GET", f"/api/events?since={seen}")["events"]

    again = listen(token=live_server.tokens["nurse"])
    ack = again.subscribe(dashboard=True, since=seen)
    assert ack == {"ok": True, "last_seq": missed[-1]["seq"]}
    # python-engineio's client hands each message to its own thread, so the order (replay, ack, live)
    # is checked on the wire below; here: exactly the missed events, each once.
    assert sorted(again.wait_events(len(missed)), key=lambda e: e["seq"]) == missed
    save(live_server, session_id, hr=84)  # live: the vitals, and the NEWS2 alert of HR 140 clearing
    live = call(live_server, "GET", f"/api/events?since={ack['last_seq']}")["events"]
    events = again.wait_events(len(missed) + len(live))
    assert sorted(e["seq"] for e in events) == [e["seq"] for e in missed + live]
    assert [e["type"] for e in live] == ["vitals.recorded", "alert.cleared"]


class Wire:
    """A bare websocket speaking just enough Socket.IO to read /live frame by frame, in wire order."""

    def __init__(self, live_server: LiveServer, token: str):
        import websocket

        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{live_server.port}/socket.io/?EIO=4&transport=websocket", timeout=5, suppress_origin=True)
        assert self.ws.recv().startswith("0{")
        self.ws.send("40/live," + json.dumps({"token": token}))
        assert self.next().startswith("40/live,")

    def next(self) -> str:
        while (message := self.ws.recv()) == "2":
            self.ws.send("3")
        return message

    def subscribe(self, body: dict) -> None:
        self.ws.send("42/live,7" + json.dumps(["subscribe", body]))

    def read(self) -> tuple[str, dict]:
        """("event", envelope) or ("ack", answer), in the order the server sent them."""
        message = self.next()
        if message.startswith("43/live,7"):
            return "ack", json.loads(message[len("43/live,7"):])[0]
        assert message.startswith("42/live,"), message
        name, body = json.loads(message[len("42/live,"):])
        return name, body


def test_on_the_wire_the_replay_comes_in_seq_order_then_the_ack_then_live_events(live_server):
    session_id = new_session(live_server)
    since = last_seq(live_server)
    for hr in (60, 61, 62):
        save(live_server, session_id, hr=hr)
    missed = [e["seq"] for e in call(live_server, "GET", f"/api/events?since={since}")["events"]]
    wire = Wire(live_server, live_server.tokens["nurse"])
    try:
        wire.subscribe({"dashboard": True, "since": since})
        frames = [wire.read() for _ in missed] + [wire.read()]
        assert [body["seq"] if kind == "event" else kind for kind, body in frames] == missed + ["ack"]
        assert frames[-1][1] == {"ok": True, "last_seq": missed[-1]}
        live = save(live_server, session_id, hr=63)
        assert wire.read() == ("event", call(live_server, "GET", f"/api/events?since={missed[-1]}")["events"][0])
        assert live["seq"] == missed[-1] + 1
    finally:
        wire.ws.close()


def test_a_session_subscription_receives_nothing_from_other_sessions(live_server, listen):
    mine, other = new_session(live_server, "5"), new_session(live_server, "6")
    listener = listen(token=live_server.tokens["nurse"])
    since = last_seq(live_server)
    listener.subscribe(session_id=mine, since=since)
    save(live_server, other, hr=90)
    save(live_server, other, hr=140)
    kept = save(live_server, mine, hr=91)
    [event] = listener.wait_events(1)
    assert event["seq"] == kept["seq"]
    time.sleep(0.3)
    assert [e["session_id"] for e in listener.events()] == [mine]


def test_a_session_subscription_replays_only_that_session(live_server, listen):
    mine, other = new_session(live_server, "7"), new_session(live_server, "8")
    since = last_seq(live_server)
    save(live_server, mine, hr=70)
    save(live_server, other, hr=71)
    save(live_server, mine, hr=72)
    listener = listen(token=live_server.tokens["nurse"])
    listener.subscribe(session_id=mine, since=since)
    assert [(e["type"], e["data"]["hr"]) for e in listener.events()] == [("vitals.recorded", 70),
                                                                        ("vitals.recorded", 72)]


def test_unsubscribing_stops_the_events(live_server, listen):
    session_id = new_session(live_server)
    listener = listen(token=live_server.tokens["nurse"])
    listener.subscribe(session_id=session_id)
    ack = []
    listener.client.emit("unsubscribe", {"session_id": session_id}, namespace=NS, callback=ack.append)
    time.sleep(0.2)
    save(live_server, session_id, hr=77)
    time.sleep(0.5)
    assert (ack, listener.events()) == ([{"ok": True}], [])


@pytest.mark.parametrize("body", [None, {}, {"session_id": "7"}, {"dashboard": True, "since": -1},
                                  {"dashboard": True, "session_id": 3}, {"session_id": True}])
def test_a_malformed_subscribe_is_answered_with_what_is_wrong(live_server, listen, body):
    listener = listen(token=live_server.tokens["nurse"])
    answer = listener.client.call("subscribe", body, namespace=NS, timeout=5)
    assert answer["ok"] is False and answer["error"]


def test_a_write_by_another_process_reaches_the_dashboard(live_server, listen):
    session_id = new_session(live_server)
    listener = listen(token=live_server.tokens["clinician"])
    listener.subscribe(dashboard=True)
    script = (
        "import sys; from datetime import timezone\n"
        "from monitor.alerts import triggers; from monitor.record import users, vitals\n"
        "from monitor.store.db import Store\n"
        "store = triggers.listen(Store(sys.argv[1]))\n"
        "nurse = users.actor_for(users.by_name(store.db, 'nurse'))\n"
        "with store.write(nurse) as tx: vitals.record(tx, int(sys.argv[2]), [{'hr': 66}], zone=timezone.utc)\n")
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", script, str(live_server.db), str(session_id)], check=True, cwd=ROOT)
    [event] = listener.wait_events(1, seconds=3)
    assert (event["type"], event["session_id"], event["data"]["hr"]) == ("vitals.recorded", session_id, 66)
    assert time.monotonic() - started < 3


# Cut off when the login ends

def test_logging_out_closes_that_logins_socket_within_two_seconds(live_server, listen):
    browser = signed_in(live_server, "nurse")
    listener = listen(cookie=cookie_header(browser))
    listener.subscribe(dashboard=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', browser.get(live_server.url + "/").text).group(1)
    logout = browser.post(live_server.url + "/logout", data={"csrf_token": token}, allow_redirects=False)
    assert logout.status_code == 302
    assert listener.closed.wait(2)
    with pytest.raises(socketio.exceptions.ConnectionError):
        Listener(live_server).connect(cookie=cookie_header(browser))


def test_disabling_a_user_closes_their_sockets_within_two_seconds(live_server, listen):
    live_server.cli("user", "add", "locum", "--role", "nurse", "--password-stdin", stdin="locum-password-1\n")
    token = live_server.cli("token", "create", "locum").strip()
    listener = listen(token=token)
    listener.subscribe(dashboard=True)
    locum = next(u for u in call(live_server, "GET", "/api/users", role="admin")["items"] if u["username"] == "locum")
    call(live_server, "POST", f"/api/users/{locum['id']}", {"disabled": True}, role="admin")
    assert listener.closed.wait(2)
