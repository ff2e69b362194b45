"""The live stream of CONTRACT.md §3: Socket.IO namespace `/live`, fed only from the event log.

Every server process tails the `events` table itself (seq above the last one it published) and
emits each event to its own sockets only: to the room "dashboard" and to its session's room. A
commit in this process is published at once by the committing request; what other processes
write (the CLI, an import, another worker) is found by polling the log, and with
MONITOR_MESSAGE_QUEUE a Redis channel wakes the other processes at once (web/live_queue.py), so
polling is only the safety net. Redis carries no event: a killed process or a stopped Redis cannot
lose or double one, because each process reads the one log in order.

`subscribe` with `since` replays the scope's missed events from the log and joins the room while
holding the publisher's lock: every event is either replayed or published to the room afterwards,
never both and never neither. A client that reconnects to another process does the same there.

A connection's login is checked again every second: at its idle or absolute timeout, at a logout
in another process or when its user is disabled, the socket is told `signed_out` and closed.
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, request
from flask_socketio import Namespace, SocketIO, join_room, leave_room
from socketio import exceptions
from werkzeug.middleware.proxy_fix import ProxyFix

from ..alerts.scheduler import Scheduler
from ..record import feed as events  # the log with each import batch's records filled in
from ..record import users
from ..store.db import Store
from ..timeutil import iso
from .auth import user_for_socket
from .live_doors import Doors
from .live_queue import QueueLink, channel_for

log = logging.getLogger(__name__)
NAMESPACE = "/live"
DASHBOARD = "dashboard"
POLL_SECONDS = 0.2
POLL_WITH_QUEUE_SECONDS = 1.0  # the queue wakes the process at once; the poll only catches a lost wake-up
SWEEP_SECONDS = 1.0
BATCH = 500
MAX_REPLAY = 10_000  # beyond this a client is better served by reloading the page
PING_SECONDS = 5  # a dead connection shows on the dashboard within about ten seconds


def session_room(session_id: int) -> str:
    return f"session:{session_id}"


def rooms_for(envelope: dict) -> list[str] | str:
    session_id = envelope.get("session_id")
    return [DASHBOARD, session_room(session_id)] if session_id is not None else DASHBOARD


def async_mode() -> str:
    """gevent in the production server (its worker has patched the standard library), threads elsewhere."""
    try:
        from gevent import monkey
    except ImportError:
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


class Lease:
    """An exclusive lock on a file beside the database; the operating system releases it when its
    holder dies, so the next process to ask takes over. The file names the holding process."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    def hold(self) -> bool:
        if self.fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class Publisher:
    """Tails the event log and hands each event, in order, to `emit`."""

    def __init__(self, store: Store, emit: Callable[[dict], None], poll: float = POLL_SECONDS,
                 announce: Callable[[int], None] = lambda seq: None):
        self.store, self.emit, self.poll, self.announce = store, emit, poll, announce
        self.lock = threading.RLock()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.last_published: int | None = None
        self.thread: threading.Thread | None = None

    def committed(self, envelopes: list[dict]) -> None:
        """`store.on_commit` listener: this process wrote events, so the committing thread publishes them.

        Publishing here rather than waking the thread saves a hop on every save, and when the
        transaction's rows follow straight on from the last one published they go out as written
        rather than read back. The other processes are told through the queue before this one emits.
        """
        if self.thread is None or self.last_published is None:
            return  # not publishing in this process (tests' apps)
        if envelopes:  # first, so the other processes read the log while this one emits
            self.announce(envelopes[-1]["seq"])
        try:
            with self.lock:
                if envelopes and envelopes[0]["seq"] == self.last_published + 1:
                    self.emit_all(envelopes)
                else:
                    self.publish()
        except Exception:  # the write has committed; the polling thread retries the publish
            log.exception("live publisher failed after a commit")
            self.wake.set()

    def woken(self, seq: int) -> None:
        """Another process says the log reaches `seq`: read it now if this process is behind."""
        if self.last_published is not None and seq > self.last_published:
            self.wake.set()

    def emit_all(self, envelopes: list[dict]) -> None:
        for envelope in envelopes:
            self.emit(envelope)
            self.last_published = envelope["seq"]

    def start(self) -> None:
        """Publish from the end of the log as it is now."""
        self.last_published = events.last_seq(self.store.db)
        self.thread = threading.Thread(target=self.run, name="live-publisher", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        if self.thread:
            self.thread.join(timeout=5)

    def run(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait(self.poll)
            self.wake.clear()
            try:
                self.publish()
            except Exception:  # the next wake-up retries from the last seq published
                log.exception("live publisher failed")

    def publish(self) -> None:
        """Everything in the log after the last seq published, in order."""
        with self.lock:
            while batch := events.since(self.store.db, self.last_published, limit=BATCH):
                self.emit_all(batch)

    def subscribe(self, since: int | None, session_id: int | None, send: Callable[[dict], None],
                  join: Callable[[], None]) -> dict:
        """Replay the scope's events after `since`, then join its room; returns the ack."""
        db = self.store.db
        with self.lock:
            upto = self.last_published if self.last_published is not None else events.last_seq(db)
            ack = replay(db, since, session_id, upto, send)
            join()
            return ack


def replay(db, since: int | None, session_id: int | None, upto: int, send: Callable[[dict], None]) -> dict:
    """Send the scope's events in (since, upto], in order; the ack names `upto` as the last seq."""
    if since is None or since >= upto:
        return {"ok": True, "last_seq": upto}
    scope, params = ("AND session_id = ?", [session_id]) if session_id is not None else ("", [])
    missed = db.execute(f"SELECT COUNT(*) FROM events WHERE seq > ? AND seq <= ? {scope}",
                        [since, upto] + params).fetchone()[0]
    if missed > MAX_REPLAY:
        return {"ok": False, "reload": True, "last_seq": upto,
                "error": f"{missed} events missed; reload the page to start afresh"}
    cursor = since
    while batch := [e for e in events.since(db, cursor, session_id=session_id, limit=BATCH) if e["seq"] <= upto]:
        for envelope in batch:
            send(envelope)
        cursor = batch[-1]["seq"]
    return {"ok": True, "last_seq": upto}


def parse_scope(body) -> tuple[int | None, int | None] | str:
    """(session_id or None for the dashboard, since) from a subscribe body, or what is wrong with it."""
    if not isinstance(body, dict):
        return 'send {"dashboard": true} or {"session_id": N}, optionally with "since"'
    since = body.get("since")
    if since is not None and (not isinstance(since, int) or isinstance(since, bool) or since < 0):
        return "since must be a whole number of at least 0"
    if body.get("dashboard") is True and "session_id" not in body:
        return None, since
    session_id = body.get("session_id")
    if isinstance(session_id, int) and not isinstance(session_id, bool) and session_id > 0 \
            and "dashboard" not in body:
        return session_id, since
    return 'send {"dashboard": true} or {"session_id": N}, optionally with "since"'


class Connections:
    """Who is connected on which socket, by what credential, so that an ended login can be cut off."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_sid: dict[str, dict] = {}
        self.eio_sids: set[str] = set()

    def add(self, sid: str, eio_sid: str | None, user: dict, token: str | None) -> None:
        with self.lock:
            self.by_sid[sid] = {"user_id": user["id"], "login": user.get("login"), "token": token,
                                "eio_sid": eio_sid}
            self.eio_sids.add(eio_sid)

    def remove(self, sid: str) -> None:
        with self.lock:
            who = self.by_sid.pop(sid, None)
            if who:
                self.eio_sids.discard(who["eio_sid"])

    def has_user(self, eio_sid: str) -> bool:
        with self.lock:
            return eio_sid in self.eio_sids

    def sids(self, **match) -> list[str]:
        with self.lock:
            return [sid for sid, who in self.by_sid.items() if all(who[k] == v for k, v in match.items())]

    def credentials(self) -> dict[tuple[str, str], list[str]]:
        """("login" or "token", value) -> the sockets opened with it."""
        found: dict[tuple[str, str], list[str]] = {}
        with self.lock:
            for sid, who in self.by_sid.items():
                key = ("login", who["login"]) if who["login"] else ("token", who["token"])
                found.setdefault(key, []).append(sid)
        return found


class LiveNamespace(Namespace):
    """`/live`: the dashboard, a bedside page or a program connects, subscribes and receives `event`s."""

    def __init__(self, live: Live):
        super().__init__(NAMESPACE)
        self.live = live

    def trigger_event(self, event, *args):
        """Every handler runs on the socket's own greenlet: its database connection goes back afterwards."""
        try:
            return super().trigger_event(event, *args)
        finally:
            self.live.store.release()

    def on_connect(self, auth=None):
        """The client sends the login cookie or auth={"token": ...}; anyone else is refused."""
        user = user_for_socket(auth)
        if user is None:
            raise exceptions.ConnectionRefusedError("unauthenticated")
        token = auth["token"] if user.get("login") is None else None
        eio_sid = self.live.socketio.server.manager.eio_sid_from_sid(request.sid, NAMESPACE)
        self.live.connections.add(request.sid, eio_sid, user, token)

    def on_disconnect(self, reason=None):
        self.live.connections.remove(request.sid)

    def on_subscribe(self, body=None):
        """Client → server: replay what the client missed, then live events; the return value is the ack."""
        scope = parse_scope(body)
        if isinstance(scope, str):
            return {"ok": False, "error": scope}
        session_id, since = scope
        sid, room = request.sid, DASHBOARD if session_id is None else session_room(session_id)
        ack = self.live.publisher.subscribe(since, session_id, lambda e: self.live.send(e, sid),
                                            lambda: join_room(room))
        behind = self.live.behind_since()
        return ack | ({"behind_since": iso(behind)} if behind else {})

    def on_unsubscribe(self, body=None):
        scope = parse_scope(body)
        if isinstance(scope, str):
            return {"ok": False, "error": scope}
        leave_room(DASHBOARD if scope[0] is None else session_room(scope[0]))
        return {"ok": True}


class Live:
    """The Socket.IO server of one app: its publisher, its connections and their doors, the scheduler
    and, with several processes, the queue that wakes them."""

    def __init__(self, app: Flask, store: Store):
        config = app.extensions["monitor.config"]
        self.store, self.config = store, config
        transports = ["websocket"] if config.workers > 1 else ["polling", "websocket"]
        self.socketio = SocketIO(app, async_mode=async_mode(), cors_allowed_origins=list(config.allowed_origins),
                                 max_http_buffer_size=config.max_socket_message_bytes, namespaces=[NAMESPACE],
                                 ping_interval=PING_SECONDS, ping_timeout=PING_SECONDS, async_handlers=False,
                                 transports=transports)
        self.queue = (QueueLink(config.message_queue, channel_for(store.path.resolve()), self.woken,
                                self.queue_changed) if config.message_queue else None)
        self.publisher = Publisher(store, self.broadcast, POLL_WITH_QUEUE_SECONDS if self.queue else POLL_SECONDS,
                                   announce=self.queue.committed if self.queue else lambda seq: None)
        self.scheduler = Scheduler(store, lease=Lease(Path(str(store.path) + ".scheduler")))
        self.connections = Connections()
        self.doors = Doors(self.socketio.server, config.sockets_per_address, self.connections.has_user)
        self.stopping = threading.Event()
        store.on_commit(self.publisher.committed)
        self.socketio.on_namespace(LiveNamespace(self))

    def broadcast(self, envelope: dict) -> None:
        self.socketio.emit("event", envelope, to=rooms_for(envelope), namespace=NAMESPACE)

    def send(self, envelope: dict, sid: str) -> None:
        self.socketio.emit("event", envelope, to=sid, namespace=NAMESPACE)

    def woken(self, seq: int) -> None:
        self.publisher.woken(seq)

    def behind_since(self) -> datetime | None:
        """Since when the message queue has been unreachable (events of other processes come late), or None."""
        return self.queue.down_since if self.queue else None

    def queue_changed(self, down_since: datetime | None) -> None:
        """Tell every socket of this process that the queue went down or came back; when back, catch up."""
        body = {"behind_since": iso(down_since)} if down_since else {"behind_since": None}
        self.socketio.emit("status", body, namespace=NAMESPACE)
        if down_since is None:
            self.publisher.wake.set()

    def disconnect(self, sids: list[str], reason: str | None = None) -> None:
        for sid in sids:
            if reason:
                self.socketio.emit("signed_out", {"reason": reason}, to=sid, namespace=NAMESPACE)
            self.socketio.server.disconnect(sid, namespace=NAMESPACE)

    def disconnect_login(self, login_id: str) -> None:
        """After a logout: that login's sockets close at once."""
        self.disconnect(self.connections.sids(login=login_id))

    def disconnect_user(self, user_id: int) -> None:
        """After a user is disabled: every socket of theirs closes at once."""
        self.disconnect(self.connections.sids(user_id=user_id))

    def sweep(self) -> None:
        """Close the sockets whose login has ended (idle or absolute timeout, a logout or a disabled user
        seen by another process), and those that never authenticated."""
        self.doors.close_the_unauthenticated()
        db, now = self.store.db, self.store.now()
        idle = timedelta(minutes=self.config.idle_timeout_minutes)
        absolute = timedelta(hours=self.config.absolute_timeout_hours)
        for (kind, value), sids in self.connections.credentials().items():
            if kind == "login":
                user, _ = users.user_for_login(db, value, now, idle, absolute)
            else:
                user = users.user_for_token(db, value, now)  # revoked or past its end: closed
            if user is None:
                self.disconnect(sids, reason="ended")

    def sweeper(self) -> None:
        while not self.stopping.wait(SWEEP_SECONDS / 2):
            try:
                self.sweep()
            except Exception:  # the next sweep tries again
                log.exception("live socket sweep failed")

    def start_background(self) -> None:
        """In the serving process only (after gunicorn forks its worker): publisher, queue, scheduler, sweeper."""
        self.publisher.start()
        if self.queue:
            self.queue.start()
        self.scheduler.start()
        threading.Thread(target=self.sweeper, name="live-sweeper", daemon=True).start()

    def stop_background(self) -> None:
        self.stopping.set()
        self.publisher.stop()
        self.scheduler.stop()
        if self.queue:
            self.queue.stop()


def init_app(app: Flask, store: Store) -> Live:
    live = Live(app, store)
    config = app.extensions["monitor.config"]
    if config.proxy_hops:  # behind a proxy: the client's address is the one it forwarded (socket caps, logs)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.proxy_hops, x_proto=config.proxy_hops)
    app.extensions["monitor.live"] = live
    app.extensions["monitor.on_logout"] = live.disconnect_login
    app.extensions["monitor.on_user_disabled"] = live.disconnect_user
    return live


def start_background(app: Flask) -> None:
    app.extensions["monitor.live"].start_background()


def message_queue_health(app: Flask) -> dict | None:
    """For /healthz: what is wrong with the message queue, or None when it is fine or not used."""
    behind = app.extensions["monitor.live"].behind_since()
    return {"message_queue": f"unreachable since {iso(behind)}"} if behind else None
