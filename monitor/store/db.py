"""The one door to the database: connections, pragmas and the single writer.

Every connection gets WAL, synchronous=FULL, foreign keys and a busy timeout.
Every change goes through `Store.write()`, which serialises writers in this
process with a lock and across processes with BEGIN IMMEDIATE, records the
audit entry and event-log rows in the same transaction, hands the transaction
to the `before_commit` hooks (the alert engine) once its writer is done, and
only after COMMIT tells the listeners (the live stream) that new events exist.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlite_utils import Database

from ..errors import Unavailable
from ..timeutil import iso
from . import audit, events, migrations

BUSY_TIMEOUT_MS = 10_000
# What the health check writes: room for a save of many vitals, not just for a byte that happens to fit
# where a failed write left space in the WAL.
HEADROOM_BYTES = 64 * 1024
Clock = Callable[[], datetime]
Hook = Callable[["Transaction"], None]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def create_private(path: Path | str) -> None:
    """Create `path` empty and readable by its owner only (0600), unless it exists: it holds patient data.
    SQLite gives a database's WAL and SHM files the database file's mode."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def connect(path: Path | str, synchronous: str = "FULL") -> Database:
    """Open one connection with the pragmas every connection must have."""
    create_private(path)
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    return Database(conn)


# SQLite's error names (extended ones start with these) that mean the database cannot be written now.
UNAVAILABLE = (("SQLITE_FULL", "disk_full", "the disk holding the database is full"),
               ("SQLITE_READONLY", "database_read_only", "the database is read-only"),
               ("SQLITE_IOERR", "database_unavailable", "the database could not be read or written (I/O error)"),
               ("SQLITE_CANTOPEN", "database_unavailable", "the database file cannot be opened"),
               ("SQLITE_BUSY", "database_unavailable", "the database stayed locked by another writer"))


def unavailable(error: sqlite3.Error) -> Unavailable | None:
    """The 503 for a storage failure (disk full, read-only, I/O), or None for any other error (a bug)."""
    name = getattr(error, "sqlite_errorname", "") or ""
    for prefix, code, reason in UNAVAILABLE:
        if name.startswith(prefix):
            return Unavailable(f"the database cannot take changes: {reason}. Nothing was saved; tell whoever "
                               "runs the server.", code=code)
    return None


class Actor:
    """Who is making a change: a user, or the system itself (scheduler, demo)."""

    def __init__(self, user_id: int | None, username: str, role: str):
        self.user_id, self.username, self.role = user_id, username, role

    def __repr__(self) -> str:
        return f"Actor({self.username!r}, {self.role!r})"


SYSTEM = Actor(None, "system", "system")


class Transaction:
    """One write: the rows it adds, its audit entries and its events commit together."""

    def __init__(self, db: Database, actor: Actor, now: datetime, listened: bool = True):
        self.db, self.actor, self.now = db, actor, now
        self.events: list[dict] = []
        self.audit_entries: list[tuple] = []
        self.listened = listened  # someone is told of the events after COMMIT

    def audit(self, action: str, entity: str, entity_id, *, session_id=None, before=None, after=None):
        """An audit entry of this write; the entries are chained in just before COMMIT (`seal`)."""
        self.audit_entries.append((action, entity, entity_id, session_id, before, after))

    def seal(self) -> None:
        """Chain this write's audit entries in, the last tied to every insert-only row the write added."""
        audit.append_all(self.db, self.actor, self.now, self.audit_entries)
        self.audit_entries = []

    def event(self, type_: str, session_id: int | None, data: dict, kept: dict | None = None) -> dict:
        """Append an event; `kept`: what the log stores when it is less than `data` (see `events.append`)."""
        envelope = events.append(self.db, type_, session_id, self.now, data, kept)
        self.events.append(envelope)
        return envelope

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        return self.db.execute(sql, params)

    def insert(self, table: str, row: dict) -> int:
        """Insert one row with plain SQL (the hot path) and return its id."""
        columns = ", ".join(f"[{c}]" for c in row)
        marks = ", ".join("?" for _ in row)
        cursor = self.db.execute(f"INSERT INTO [{table}] ({columns}) VALUES ({marks})", list(row.values()))
        return cursor.lastrowid


def rolled_back(db, error: sqlite3.OperationalError):
    """Roll back what a failed write left open; the storage problem it was (503), or None for a bug."""
    if db.conn.in_transaction:
        db.execute("ROLLBACK")
    return unavailable(error)


class Store:
    """Connections per thread for reading, one serialised writer for changes."""

    def __init__(self, path: Path | str, *, synchronous: str = "FULL", clock: Clock = utc_now):
        self.path = Path(path)
        self.synchronous = synchronous
        self.clock = clock
        self._local = threading.local()
        self._idle: list[Database] = []  # connections handed back by finished requests, for the next ones
        self._write_lock = threading.RLock()
        self._hooks: list[Hook] = []
        self._listeners: list[Callable[[list[dict]], None]] = []

    @property
    def db(self) -> Database:
        """This thread's connection: one handed back by an earlier request, or opened on first use."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._idle.pop() if self._idle else connect(self.path, self.synchronous)
        return db

    def release(self) -> None:
        """Hand this thread's connection back for the next request. Under gevent every request and socket is a
        greenlet of its own, and a new connection costs a few ms (SQLite reads the schema again) and its page
        cache stays for as long as the socket is open."""
        db = getattr(self._local, "db", None)
        if db is not None and not db.conn.in_transaction:
            self._local.db = None
            self._idle.append(db)

    def writable(self) -> Unavailable | None:
        """Whether a write commits now: a real write of HEADROOM_BYTES (the `health` row), so a read-only
        file or filesystem, a full disk or a stuck lock shows here before a nurse's save meets it; the 503 to
        answer, or None."""
        with self._write_lock:
            db = self.db
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT OR REPLACE INTO health (id, checked_at, headroom) VALUES (1, ?, zeroblob(?))",
                           (iso(self.now()), HEADROOM_BYTES))
                db.execute("COMMIT")
                return None
            except sqlite3.OperationalError as error:
                problem = rolled_back(db, error)
                if problem is None:
                    raise
                return problem

    def migrate(self) -> None:
        with self._write_lock:
            migrations.apply(self.db)

    def now(self) -> datetime:
        return self.clock()

    def before_commit(self, hook: Hook) -> None:
        """Call `hook(tx)` at the end of every write, inside its transaction, before COMMIT (once per hook)."""
        if hook not in self._hooks:
            self._hooks.append(hook)

    def on_commit(self, listener: Callable[[list[dict]], None]) -> None:
        """Call `listener(events)` after every commit that appended events."""
        self._listeners.append(listener)

    @contextmanager
    def write(self, actor: Actor) -> Iterator[Transaction]:
        """One transaction for a change, its audit entries and its events."""
        with self._write_lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            tx = Transaction(db, actor, self.now(), listened=bool(self._listeners))
            try:
                yield tx
                for hook in self._hooks:
                    hook(tx)
                tx.seal()
                db.execute("COMMIT")
            except sqlite3.OperationalError as error:
                problem = rolled_back(db, error)
                if problem is None:
                    raise
                raise problem from error
            except BaseException:
                if db.conn.in_transaction:
                    db.execute("ROLLBACK")
                raise
        if tx.events:
            for listener in self._listeners:
                listener(tx.events)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
        while self._idle:
            self._idle.pop().close()
