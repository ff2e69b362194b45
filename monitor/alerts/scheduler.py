"""The rules that depend on time: vitals overdue, infusion overtime, re-raise, silence expiry, and the
day-6 reminder of a REMS form not yet submitted.

`tick(store, now)` is one pass and keeps no state of its own: everything it needs
(alert states, acknowledgement and silence times, the vitals and the transitions)
is in the database, so the schedule carries on across a restart. A pass reads
first and opens a write only for a session or alert that needs a change, so an
idle clinic costs a few reads a second and never holds the writer.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from ..rules.alert_rules import REMS_FORM_DUE_DAYS
from ..store.db import SYSTEM, Store, Transaction
from ..timeutil import iso, parse_stored
from . import engine

log = logging.getLogger(__name__)
WATCHED_STATES = ("infusing", "paused", "recovery")


def tick(store: Store, now: datetime | None = None) -> int:
    """Run every time-driven rule once at `now`; return how many alerts changed."""
    now = now or store.now()
    db = store.db
    rules, _ = engine.ruleset(db)
    changed = 0
    for session_id in sessions_to_watch(db):
        if engine.time_rules_due(db, session_id, now, rules):
            with acting_at(store, now) as tx:
                changed += engine.evaluate_time_rules(tx, session_id)
    for alert_id in reraises_due(db, now, rules["reraise_after_minutes"]):
        with acting_at(store, now) as tx:
            changed += engine.reraise(tx, alert_id) is not None
    for alert_id in silences_ended(db, now):
        with acting_at(store, now) as tx:
            changed += engine.end_silence(tx, alert_id) is not None
    for session_id, due, days_left in rems_forms_to_remind(db, now, rules["rems_form_due"]["alert_on_day"]):
        with acting_at(store, now) as tx:
            changed += engine.rems_form_due(tx, session_id, due, days_left) is not None
    return changed


@contextmanager
def acting_at(store: Store, now: datetime) -> Iterator[Transaction]:
    """A write by the system that happens at the tick's time (the injected clock in tests)."""
    with store.write(SYSTEM) as tx:
        tx.now = now
        yield tx


def sessions_to_watch(db) -> list[int]:
    """Sessions on an observation schedule, and any with a time-driven alert still open."""
    marks = ", ".join("?" for _ in WATCHED_STATES)
    keys = ", ".join("?" for _ in engine.TIME_RULES)
    rows = db.execute(f"SELECT id FROM sessions WHERE state IN ({marks}) UNION SELECT session_id FROM alerts"
                      f" WHERE state != 'cleared' AND key IN ({keys}) ORDER BY 1",
                      WATCHED_STATES + engine.TIME_RULES)
    return [r[0] for r in rows]


def reraises_due(db, now: datetime, after_minutes: float) -> list[int]:
    cutoff = iso(now - timedelta(minutes=after_minutes))
    rows = db.execute("SELECT id FROM alerts WHERE state = 'acknowledged' AND condition_holds = 1"
                      " AND acknowledged_at <= ? ORDER BY id", (cutoff,))
    return [r[0] for r in rows]


def silences_ended(db, now: datetime) -> list[int]:
    rows = db.execute("SELECT id FROM alerts WHERE state != 'cleared' AND silenced_until IS NOT NULL"
                      " AND silenced_until <= ? ORDER BY id", (iso(now),))
    return [r[0] for r in rows]


def rems_forms_to_remind(db, now: datetime, on_day: float) -> list[tuple[int, str, int]]:
    """Esketamine sessions ended `on_day` (6) days ago or more whose REMS form is not marked submitted and
    that were never reminded: (session, due date, days left). The form is due 7 days after the session."""
    rows = db.execute(
        "SELECT s.id, (SELECT MIN(t.at) FROM transitions t WHERE t.session_id = s.id"
        " AND t.to_state IN ('discharged', 'aborted')) AS ended FROM sessions s"
        " WHERE s.drug = 'esketamine' AND s.first_dose_at IS NOT NULL AND s.rems_submitted_at IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.session_id = s.id AND a.key = 'rems_form_due')"
        " AND ended IS NOT NULL AND ended <= ? ORDER BY s.id", (iso(now - timedelta(days=on_day)),))
    found = []
    for session_id, ended in rows:
        due = parse_stored(ended).date() + timedelta(days=REMS_FORM_DUE_DAYS)
        found.append((session_id, due.isoformat(), (due - now.date()).days))
    return found


class Scheduler:
    """Runs `tick` every `interval` seconds on a daemon thread of the server process, while this process
    holds `lease` (anything with `hold()` and `release()`): with several server processes on one database
    the time-driven rules run in one of them, and another takes over within a tick when it dies."""

    def __init__(self, store: Store, interval: float = 1.0, lease=None):
        self.store, self.interval, self.lease = store, interval, lease
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, name="alert-scheduler", daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                if self.lease is None or self.lease.hold():
                    tick(self.store)
            except Exception:  # keep the schedule running; the next tick tries again
                log.exception("alert scheduler tick failed")

    def stop(self) -> None:
        self.stopping.set()
        if self.thread:
            self.thread.join(timeout=5)
        if self.lease is not None:
            self.lease.release()
