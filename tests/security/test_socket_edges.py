"""Live connections at the edges (issue 10 points 1, 5 and 15): what an idle, anonymous, greedy, slow
or malformed client can and cannot do to the real server, and a socket closing when its login ends.
"""
from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests
import socketio
import websocket

from tests.helpers import Dashboard, LiveApi, call, server_on, wait_until

from .test_sockets import browser_for, cookie_of

ANONYMOUS_SOCKETS = 120
DASHBOARDS = 100


@pytest.fixture(scope="module")
def server(tmp_path_factory, template_db):
    """The real server, allowing this test's own address enough sockets for the crowd tests."""
    server = server_on(template_db, tmp_path_factory.mktemp("edges"), {"MONITOR_SOCKETS_PER_ADDRESS": "130"})
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stingy(tmp_path_factory, template_db):
    """A server allowing one address three sockets."""
    server = server_on(template_db, tmp_path_factory.mktemp("stingy"), {"MONITOR_SOCKETS_PER_ADDRESS": "3"})
    server.start()
    yield server
    server.stop()


def engine_io(server, cookie: str | None = None) -> websocket.WebSocket:
    """A websocket through the Engine.IO handshake only: open, but not (yet) on any namespace."""
    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket",
                                     timeout=10, suppress_origin=True, header=[f"Cookie: {cookie}"] if cookie else [])
    assert ws.recv().startswith("0{")
    return ws


def closed_by_server(ws: websocket.WebSocket, seconds: float) -> bool:
    """Whether the server closes `ws` within `seconds` (pings are answered meanwhile)."""
    ws.settimeout(seconds)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            message = ws.recv()
            if message == "2":
                ws.send("3")
            elif message in ("", "1") or message.startswith("41"):
                return True
    except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
        return True
    except websocket.WebSocketTimeoutException:
        return False
    return False


def healthz_seconds(server) -> float:
    started = time.monotonic()
    answer = requests.get(server.url + "/healthz", timeout=5)
    assert answer.status_code == 200
    return time.monotonic() - started


def test_with_120_anonymous_sockets_open_healthz_answers_in_under_a_second_and_they_are_dropped(server):
    with ThreadPoolExecutor(20) as pool:
        crowd = list(pool.map(lambda _: engine_io(server), range(ANONYMOUS_SOCKETS)))
    try:
        assert healthz_seconds(server) < 1
        assert healthz_seconds(server) < 1
        started = time.monotonic()
        assert all(closed_by_server(ws, 6) for ws in crowd), "an unauthenticated socket stayed open"
        assert time.monotonic() - started < 6
    finally:
        for ws in crowd:
            ws.close()


def test_an_authenticated_socket_stays_open_past_the_authentication_deadline(server):
    dashboard = Dashboard(server)
    try:
        time.sleep(3.5)
        assert not dashboard.closed.is_set()
        assert healthz_seconds(server) < 1
    finally:
        dashboard.close()


def test_70_half_sent_request_headers_do_not_stop_the_server_and_are_cut_off(server):
    slow = []
    for _ in range(70):
        half = socket.create_connection(("127.0.0.1", server.port))
        half.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        slow.append(half)
    try:
        assert healthz_seconds(server) < 1
        time.sleep(5.5)  # the header timeout (5 s)
        for half in slow:
            half.settimeout(2)
            assert half.recv(100) == b"", "a half-sent request was kept open"
    finally:
        for half in slow:
            half.close()


def test_100_dashboards_connect_at_once_and_each_receives_a_save_made_after_they_subscribed(server):
    session_id = LiveApi(server).session()["id"]
    with ThreadPoolExecutor(DASHBOARDS) as pool:
        dashboards = list(pool.map(lambda _: Dashboard(server), range(DASHBOARDS)))
    try:
        assert all(d.ack["ok"] for d in dashboards)
        saved = call(server, "POST", f"/api/sessions/{session_id}/vitals", {"hr": 88})
        assert wait_until(lambda: all(saved["seq"] in d.seqs() for d in dashboards), seconds=5)
        assert healthz_seconds(server) < 1
    finally:
        for dashboard in dashboards:
            dashboard.close()


def test_one_address_holds_at_most_its_allowance_of_sockets(stingy):
    held = [engine_io(stingy) for _ in range(3)]
    try:
        with pytest.raises(websocket.WebSocketBadStatusException):
            engine_io(stingy)
        held.pop().close()
        assert wait_until(lambda: opens(stingy), seconds=3), "a freed place can be taken again"
    finally:
        for ws in held:
            ws.close()


def opens(server) -> bool:
    try:
        engine_io(server).close()
        return True
    except websocket.WebSocketBadStatusException:
        return False


def test_an_anonymous_connection_to_the_default_namespace_is_refused(server):
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, transports=["websocket"], wait_timeout=3)
    ws = engine_io(server)
    ws.send("40")
    assert ws.recv().startswith("44"), "CONNECT_ERROR for the default namespace"
    ws.close()


MALFORMED = ["42/live,[not json", "9", "4{}", "4[1]", "47", '42/live,{"not": "a list"}', "42/live,[]", "42/live,[7]",
             "43/live,", "43/live,1[1]", "44/live,", "45-/live,", "\x00\xff", ""]


def test_malformed_frames_are_dropped_and_logged_at_debug_not_error(server):
    logged_before = server.log.read_text().count("\n")
    ws = engine_io(server)
    ws.send("40/live," + json.dumps({"token": server.tokens["nurse"]}))
    assert ws.recv().startswith("40/live,")
    for frame in MALFORMED * 20:
        ws.send(frame)
    ws.send('42/live,5["subscribe",{"dashboard":true}]')
    answer = ws.recv()
    while answer == "2":
        ws.send("3")
        answer = ws.recv()
    assert answer.startswith("43/live,5"), "the socket still works after the junk"
    ws.close()
    time.sleep(0.2)
    new_lines = server.log.read_text().splitlines()[logged_before:]
    errors = [line for line in new_lines if '"level": "error"' in line or "Traceback" in line
              or "handler error" in line]
    assert errors == []


def age_logins(db, **columns: timedelta) -> None:
    """Move the open logins' times back, as if the nurse had walked away (idle) or signed in long ago."""
    conn = sqlite3.connect(db)
    now = datetime.now(timezone.utc)
    for column, age in columns.items():
        stamp = (now - age).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        conn.execute(f"UPDATE login_sessions SET {column} = ? WHERE ended_at IS NULL", (stamp,))
    conn.commit()
    conn.close()


@pytest.mark.parametrize("columns", [{"last_seen": timedelta(minutes=16)},
                                     {"created_at": timedelta(hours=12, minutes=1)}], ids=["idle", "absolute"])
def test_a_socket_is_told_and_closed_at_its_logins_idle_or_absolute_timeout(server, columns):
    browser = browser_for(server, "nurse", "nurse-password-1")
    ws = engine_io(server, cookie=cookie_of(browser))
    ws.send("40/live,")
    assert ws.recv().startswith("40/live,")
    other = Dashboard(server)  # a token socket of another user is not affected
    age_logins(server.db, **columns)
    told = threading.Event()
    started = time.monotonic()
    ws.settimeout(4)
    try:
        while True:
            message = ws.recv()
            if message == "2":
                ws.send("3")
            elif message.startswith('42/live,["signed_out"'):
                told.set()
            elif message.startswith("41/live") or message == "":
                break
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        pass
    assert told.is_set(), "the page is told its sign-in ended"
    assert time.monotonic() - started < 3
    assert browser.get(server.url + "/api/me").status_code == 401
    assert not other.closed.is_set()
    other.close()
