"""The live stream of CONTRACT.md §3: Socket.IO namespace `/live`, fed only from the event log.

One publisher per server process tails the `events` table (seq above the last one
it published). A commit in this process wakes it at once; it also polls every
200 ms, so commits by other processes (the CLI, a second server) reach the
dashboards too. Each event goes to the room "dashboard" and to its session's room.
`subscribe` with `since` replays the scope's missed events from the log and joins
the room while holding the publisher's lock: every event is either replayed or
published to the room afterwards, never both and never neither.

With MONITOR_MESSAGE_QUEUE (several server processes sharing Socket.IO rooms through
it) exactly one process may publish, or every client would get each event once per
process. The publisher therefore holds an exclusive lock on `<db>.publisher`; the
operating system releases it when the process dies, and the next process takes over
from the progress kept in that file. A subscribing process cannot hold that
publisher's lock, so it joins the room first and then replays up to the end of the
log: nothing is missed, an event may come twice, and the client drops what it has
already seen by its `seq`.
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask, request
from flask_socketio import Namespace, SocketIO, join_room, leave_room
from socketio import exceptions

from ..alerts.scheduler import Scheduler
from ..record import feed as events  # the log with each import batch's records filled in
from ..store.db import Store
from .auth import user_for_socket

log = logging.getLogger(__name__)
NAMESPACE = "/live"
DASHBOARD = "dashboard"
POLL_SECONDS = 0.2
BATCH = 500
MAX_REPLAY = 10_000  # beyond this a client is better served by reloading the page
PING_SECONDS = 5  # a dead connection shows on the dashboard within about ten seconds


def session_room(session_id: int) -> str:
    return f"session:{session_id}"


def rooms_for(envelope: dict) -> list[str] | str:
    session_id = envelope.get("session_id")
    return [DASHBOARD, session_room(session_id)] if session_id is not None else DASHBOARD


class Lease:
    """An exclusive lock on a file beside the database: its holder is the one publisher."""

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
        self.fd = fd
        return True

    def progress(self) -> int | None:
        """The last seq the previous holder published, if it said."""
        text = os.pread(self.fd, 32, 0).decode().strip()
        return int(text) if text.isdigit() else None

    def save(self, seq: int) -> None:
        os.pwrite(self.fd, f"{seq:<20d}\n".encode(), 0)

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class Publisher:
    """Tails the event log and hands each event, in order, to `emit`."""

    def __init__(self, store: Store, emit: Callable[[dict], None], lease: Lease | None = None,
                 poll: float = POLL_SECONDS):
        self.store, self.emit, self.lease, self.poll = store, emit, lease, poll
        self.lock = threading.RLock()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.last_published: int | None = None
        self.thread: threading.Thread | None = None

    def committed(self, envelopes: list[dict]) -> None:
        """`store.on_commit` listener: this process wrote events, so the committing thread publishes them.

        Publishing here rather than waking the thread saves a thread hop on every save, and when the
        transaction's rows follow straight on from the last one published they go out as written
        rather than read back. The thread still polls for what other processes write.
        """
        if self.thread is None or self.last_published is None:
            return  # not publishing in this process (tests' apps), or another process holds the lease
        try:
            with self.lock:
                if envelopes and envelopes[0]["seq"] == self.last_published + 1:
                    self.emit_all(envelopes)
                else:
                    self.publish()
        except Exception:  # the write has committed; the polling thread retries the publish
            log.exception("live publisher failed after a commit")
            self.wake.set()

    def emit_all(self, envelopes: list[dict]) -> None:
        for envelope in envelopes:
            self.emit(envelope)
            self.last_published = envelope["seq"]
        if self.lease:
            self.lease.save(self.last_published)

    def start(self) -> None:
        """Publish from the end of the log as it is now (with a lease: once the lease is held)."""
        if self.lease is None:
            self.last_published = events.last_seq(self.store.db)
        self.thread = threading.Thread(target=self.run, name="live-publisher", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        if self.thread:
            self.thread.join(timeout=5)
        if self.lease:
            self.lease.release()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait(self.poll)
            self.wake.clear()
            try:
                if self.ready():
                    self.publish()
            except Exception:  # the next wake-up retries from the last seq published
                log.exception("live publisher failed")

    def ready(self) -> bool:
        """Whether this process publishes now (always, unless another process holds the lease)."""
        if self.lease is not None and not self.lease.hold():
            return False
        if self.last_published is None:  # the lease was just taken: carry on where its last holder stopped
            kept = self.lease.progress()
            self.last_published = kept if kept is not None else events.last_seq(self.store.db)
        return True

    def publish(self) -> None:
        """Everything in the log after the last seq published, in order."""
        with self.lock:
            while batch := events.since(self.store.db, self.last_published, limit=BATCH):
                self.emit_all(batch)

    def subscribe(self, since: int | None, session_id: int | None, send: Callable[[dict], None],
                  join: Callable[[], None]) -> dict:
        """Replay the scope's events after `since`, then join its room; returns the ack."""
        db = self.store.db
        if self.lease is not None:
            join()
            return replay(db, since, session_id, events.last_seq(db), send)
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
    """Who is connected on which socket, so a logout or a disabled user can be cut off."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_sid: dict[str, dict] = {}

    def add(self, sid: str, user: dict) -> None:
        with self.lock:
            self.by_sid[sid] = {"user_id": user["id"], "login": user.get("login")}

    def remove(self, sid: str) -> None:
        with self.lock:
            self.by_sid.pop(sid, None)

    def sids(self, **match) -> list[str]:
        with self.lock:
            return [sid for sid, who in self.by_sid.items() if all(who[k] == v for k, v in match.items())]


class LiveNamespace(Namespace):
    """`/live`: the dashboard, a bedside page or a program connects, subscribes and receives `event`s."""

    def __init__(self, live: Live):
        super().__init__(NAMESPACE)
        self.live = live

    def on_connect(self, auth=None):
        """The client sends the login cookie or auth={"token": ...}; anyone else is refused."""
        user = user_for_socket(auth)
        if user is None:
            raise exceptions.ConnectionRefusedError("unauthenticated")
        self.live.connections.add(request.sid, user)

    def on_disconnect(self, reason=None):
        self.live.connections.remove(request.sid)

    def on_subscribe(self, body=None):
        """Client → server: replay what the client missed, then live events; the return value is the ack."""
        scope = parse_scope(body)
        if isinstance(scope, str):
            return {"ok": False, "error": scope}
        session_id, since = scope
        sid, room = request.sid, DASHBOARD if session_id is None else session_room(session_id)
        return self.live.publisher.subscribe(since, session_id, lambda e: self.live.send(e, sid),
                                             lambda: join_room(room))

    def on_unsubscribe(self, body=None):
        scope = parse_scope(body)
        if isinstance(scope, str):
            return {"ok": False, "error": scope}
        leave_room(DASHBOARD if scope[0] is None else session_room(scope[0]))
        return {"ok": True}


class Live:
    """The Socket.IO server of one app, its publisher and its connections."""

    def __init__(self, app: Flask, store: Store):
        config = app.extensions["monitor.config"]
        self.store = store
        self.socketio = SocketIO(app, async_mode="threading", cors_allowed_origins=list(config.allowed_origins),
                                 max_http_buffer_size=config.max_socket_message_bytes,
                                 message_queue=config.message_queue, ping_interval=PING_SECONDS,
                                 ping_timeout=PING_SECONDS, async_handlers=False)
        lease = Lease(Path(str(store.path) + ".publisher")) if config.message_queue else None
        self.publisher = Publisher(store, self.broadcast, lease)
        self.scheduler = Scheduler(store)
        self.connections = Connections()
        store.on_commit(self.publisher.committed)
        self.socketio.on_namespace(LiveNamespace(self))

    def broadcast(self, envelope: dict) -> None:
        self.socketio.emit("event", envelope, to=rooms_for(envelope), namespace=NAMESPACE)

    def send(self, envelope: dict, sid: str) -> None:
        self.socketio.emit("event", envelope, to=sid, namespace=NAMESPACE)

    def disconnect(self, sids: list[str]) -> None:
        for sid in sids:
            self.socketio.server.disconnect(sid, namespace=NAMESPACE)

    def disconnect_login(self, login_id: str) -> None:
        """After a logout: that login's sockets close at once."""
        self.disconnect(self.connections.sids(login=login_id))

    def disconnect_user(self, user_id: int) -> None:
        """After a user is disabled: every socket of theirs closes at once."""
        self.disconnect(self.connections.sids(user_id=user_id))

    def start_background(self) -> None:
        """In the serving process only (after gunicorn forks its worker): the publisher and the scheduler."""
        self.publisher.start()
        self.scheduler.start()


def init_app(app: Flask, store: Store) -> Live:
    live = Live(app, store)
    app.extensions["monitor.live"] = live
    app.extensions["monitor.on_logout"] = live.disconnect_login
    app.extensions["monitor.on_user_disabled"] = live.disconnect_user
    return live


def start_background(app: Flask) -> None:
    app.extensions["monitor.live"].start_background()
