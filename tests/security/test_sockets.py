"""The Socket.IO side: every event of every namespace against the allow table, the Origin check,
the message size limit, the security headers on the transport, and sockets cut off within two
seconds when their login ends or their user is disabled."""
from __future__ import annotations

import json
import re
import shutil
import threading
import time

import pytest
import requests
import socketio

from monitor.record import users
from monitor.store.db import SYSTEM
from tests.helpers import PASSWORDS, LiveServer, open_store, sign_in

ROLES = ("nurse", "clinician", "admin")
EVERYONE = frozenset(ROLES)
# (namespace, event) -> who may use it; connect refuses anyone else, an event answers {"ok": false}.
EVENTS = {
    ("/live", "connect"): EVERYONE,
    ("/live", "disconnect"): EVERYONE,
    ("/live", "subscribe"): EVERYONE,
    ("/live", "unsubscribe"): EVERYONE,
}
BODIES = {"subscribe": {"dashboard": True, "since": 0}, "unsubscribe": {"dashboard": True}}
HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


def socket_server(app):
    return app.extensions["monitor.live"].socketio


def served_events(app) -> set[tuple[str, str]]:
    """Every (namespace, event) with a handler: class-based namespaces and decorated functions."""
    server = socket_server(app).server
    found = {(ns, name[3:]) for ns, handler in server.namespace_handlers.items()
             for name in dir(handler) if name.startswith("on_") and callable(getattr(handler, name))}
    found |= {(ns, event) for ns, handlers in server.handlers.items() for event in handlers}
    return found


def test_the_allow_table_names_every_socket_event_and_only_those(app):
    served = served_events(app)
    missing = sorted(served - EVENTS.keys())
    assert not missing, f"socket events with no entry in the allow table (add who may use them): {missing}"
    assert not sorted(EVENTS.keys() - served), "allow table entries for events that no longer exist"


def connected(app, tokens, role: str | None, via: str, namespace: str):
    """A Flask-SocketIO test client as anonymous, or a role by token or by login cookie."""
    client = app.test_client()
    auth = None
    if role and via == "token":
        auth = {"token": tokens[role]}
    elif role and via == "cookie":
        assert sign_in(client, role).status_code == 302
    return socket_server(app).test_client(app, namespace=namespace, auth=auth, flask_test_client=client)


def test_every_socket_event_answers_each_role_as_the_table_says(app, tokens, sentinel_session):
    checked = 0
    for (namespace, event), allowed in sorted(EVENTS.items()):
        if event in ("connect", "disconnect"):
            continue
        for via in ("token", "cookie"):
            for role in ROLES:
                sio = connected(app, tokens, role, via, namespace)
                assert sio.is_connected(namespace) == (role in EVENTS[(namespace, "connect")])
                ack = sio.emit(event, BODIES.get(event, {}), namespace=namespace, callback=True)
                assert (ack or {}).get("ok") is (role in allowed), (via, role, event, ack)
                sio.disconnect(namespace=namespace)
                checked += 1
    assert checked == 2 * len(ROLES) * (len(EVENTS) - 2)


@pytest.mark.parametrize("auth", [None, {"token": "not-a-token"}, {"token": 12}, "a string"])
def test_an_anonymous_socket_is_refused(app, sentinel_session, auth):
    """Refused at connect, so nothing can reach it (test_a_signed_in_socket_does_receive_the_record is
    the other side)."""
    for namespace in {ns for ns, _ in EVENTS}:
        sio = socket_server(app).test_client(app, namespace=namespace, auth=auth)
        assert not sio.is_connected(namespace)


def test_a_signed_in_socket_does_receive_the_record(app, tokens, sentinel_session):
    """The counterpart of the anonymous test, so that one cannot pass by receiving nothing at all."""
    sio = connected(app, tokens, "nurse", "token", "/live")
    ack = sio.emit("subscribe", {"dashboard": True, "since": 0}, namespace="/live", callback=True)
    assert ack["ok"] is True
    events = [packet["args"][0] for packet in sio.get_received("/live") if packet["name"] == "event"]
    assert "vitals.recorded" in {e["type"] for e in events}


def test_the_handshake_refuses_a_foreign_origin(app):
    client = app.test_client()
    foreign = client.get(HANDSHAKE, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 400
    assert "sid" not in foreign.get_data(as_text=True)
    allowed = client.get(HANDSHAKE, headers={"Origin": app.extensions["monitor.config"].allowed_origins[0]})
    assert allowed.status_code == 200
    assert '"sid"' in allowed.get_data(as_text=True)


def handshake(app, client) -> dict:
    body = client.get(HANDSHAKE).get_data(as_text=True)
    return json.loads(body[body.index("{"):])


def test_the_handshake_announces_the_message_limit_and_refuses_bigger_posts(app):
    client = app.test_client()
    opened = handshake(app, client)
    assert opened["maxPayload"] == 64 * 1024
    too_big = client.post(f"{HANDSHAKE}&sid={opened['sid']}", data="4" + "x" * (64 * 1024 + 1),
                          content_type="text/plain;charset=UTF-8")
    assert too_big.status_code == 413
    assert too_big.get_json()["error"] == {"code": "too_large", "fields": {},
                                           "message": "a socket message is limited to 65536 bytes"}


def test_the_socket_transport_carries_the_security_headers(app):
    response = app.test_client().get(HANDSHAKE)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


# The real server: Origin, message size over a websocket, and cutting sockets off.

@pytest.fixture(scope="module")
def server(tmp_path_factory, template_db):
    """The real server on a copy of the suite's users, plus a locum nurse who will be disabled."""
    directory = tmp_path_factory.mktemp("sockets")
    shutil.copyfile(template_db[0], directory / "sessions.db")
    server = LiveServer(directory)
    server.tokens = dict(template_db[1])
    store = open_store(server.db)
    with store.write(SYSTEM) as tx:
        server.tokens["locum"] = users.create_token(tx, users.add(tx, "locum", "nurse", "locum-password-1"))
    store.close()
    server.start()
    yield server
    server.stop()


class Socket:
    """A python-socketio client on /live over a websocket; `closed` is set when the server cuts it off."""

    def __init__(self, server, token=None, cookie=None, origin=None, transport="websocket"):
        self.closed = threading.Event()
        self.client = socketio.Client(reconnection=False)
        self.client.on("disconnect", lambda *_: self.closed.set(), namespace="/live")
        # Over a websocket the client library sends the server's own origin; a second one would be a mix.
        headers = {k: v for k, v in (("Cookie", cookie), ("Origin", origin)) if v}
        self.client.connect(server.url, namespaces=["/live"], transports=[transport], headers=headers,
                            auth={"token": token} if token else None, wait_timeout=5)

    def subscribe(self) -> dict:
        return self.client.call("subscribe", {"dashboard": True}, namespace="/live", timeout=5)


def browser_for(server, username, password) -> requests.Session:
    browser = requests.Session()
    page = browser.get(server.url + "/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = browser.post(server.url + "/login", allow_redirects=False,
                          data={"username": username, "password": password, "csrf_token": token})
    assert answer.status_code == 302
    return browser


def cookie_of(browser) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1"])
def test_the_real_server_refuses_a_socket_from_another_origin(server, origin):
    with pytest.raises(socketio.exceptions.ConnectionError):
        Socket(server, token=server.tokens["nurse"], origin=origin, transport="polling")


def test_the_real_server_accepts_a_socket_from_its_own_origin(server):
    sock = Socket(server, token=server.tokens["nurse"], origin=server.url, transport="polling")
    assert sock.subscribe()["ok"] is True
    sock.client.disconnect()


def test_a_websocket_message_over_the_limit_closes_the_socket(server):
    sock = Socket(server, token=server.tokens["nurse"])
    sock.client.emit("subscribe", {"dashboard": True, "padding": "x" * (64 * 1024)}, namespace="/live")
    assert sock.closed.wait(5)
    small = Socket(server, token=server.tokens["nurse"])
    assert small.subscribe()["ok"] is True
    small.client.disconnect()


def test_logout_cuts_off_that_logins_socket_within_two_seconds_and_no_one_elses(server):
    browser = browser_for(server, "nurse", PASSWORDS["nurse"])
    mine = Socket(server, cookie=cookie_of(browser))
    other = Socket(server, token=server.tokens["clinician"])
    mine.subscribe()
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', browser.get(server.url + "/").text).group(1)
    started = time.monotonic()
    assert browser.post(server.url + "/logout", data={"csrf_token": csrf}, allow_redirects=False).status_code == 302
    assert mine.closed.wait(2)
    assert time.monotonic() - started < 2
    assert not other.closed.is_set() and other.subscribe()["ok"] is True
    other.client.disconnect()


def test_disabling_a_user_cuts_off_their_cookie_and_token_sockets_within_two_seconds(server):
    browser = browser_for(server, "locum", "locum-password-1")
    by_cookie = Socket(server, cookie=cookie_of(browser))
    by_token = Socket(server, token=server.tokens["locum"])
    locum = next(u for u in requests.get(server.url + "/api/users", headers={
        "Authorization": f"Bearer {server.tokens['admin']}"}).json()["items"] if u["username"] == "locum")
    started = time.monotonic()
    answer = requests.post(f"{server.url}/api/users/{locum['id']}", json={"disabled": True},
                           headers={"Authorization": f"Bearer {server.tokens['admin']}"})
    assert answer.status_code == 200
    assert by_cookie.closed.wait(2) and by_token.closed.wait(2)
    assert time.monotonic() - started < 2
    assert browser.get(server.url + "/api/me").status_code == 401
