"""An import's checked readings stored as vitals records, 500 to a `vitals.batch` event.

Each record is built by the vitals writer's own `new_row` and shown by its `new_record`, with
the NEWS2 of `rules.news2.score`: a record imported is the record entered by hand. NEWS2 takes
each parameter's latest value in the 30 minutes up to the reading (`vitals.news2_for`), the
session's earlier records and the file's earlier readings included; since the file's readings
are not in the table yet while their batch is built, `News2Inputs` keeps those latest values
as the readings go by, in time order.
"""
from __future__ import annotations

from datetime import datetime
from operator import itemgetter

from ..record import vitals
from ..record.entries import Session
from ..rules import news2
from ..store import events
from ..store.db import Transaction
from ..timeutil import iso
from .import_check import Checked, Progress

NEWS2_INPUTS = vitals.NEWS2_INPUTS


def existing_keys(db, session_id: int) -> set[str]:
    """The import keys already stored in the session (read through the unique index)."""
    cursor = db.execute("SELECT import_key FROM vitals INDEXED BY vitals_import WHERE session_id = ?"
                        " AND import_key IS NOT NULL", (session_id,))
    return {row[0] for row in cursor}


def store(tx: Transaction, session: Session, source: str, new: list[Checked], progress: Progress) -> tuple[int, int]:
    """Insert the readings (new to the session, in time order) with one `vitals.batch` event per 500;
    returns the first and last id stored."""
    session_id = session.id
    inputs = News2Inputs(tx, session_id, new[0].taken_at if new else tx.now)
    first_id = last_id = next_id(tx)
    for offset in range(0, len(new), events.BATCH_SIZE):
        batch, seq, first = new[offset:offset + events.BATCH_SIZE], events.next_seq(tx.db), next_id(tx)
        rows = [vitals.new_row(tx, session_id, item.taken_at, item.values, inputs.score(item.taken_at, item.values),
                               note=item.note, late=session.late(item.taken_at, tx.now), source=source, seq=seq,
                               import_key=item.key) for item in batch]
        tx.db.conn.executemany(INSERT, map(IN_INSERT_ORDER, rows))
        last_id = first + len(rows) - 1
        if next_id(tx) != last_id + 1:
            raise RuntimeError("vitals ids were not consecutive inside the import's transaction")
        kept = {"source": source, "batch_start": offset, "first_id": first, "last_id": last_id}
        told = kept | {"records": batch_records(tx, rows, first)} if tx.listened else kept
        tx.event("vitals.batch", session_id, told, kept=kept)
        progress("storing", offset + len(rows), len(new))
    return first_id, last_id


def batch_records(tx: Transaction, rows: list[dict], first_id: int) -> list[dict]:
    """The records a batch's event tells this process's listeners (the live stream), without their empty
    fields, as `vitals.records_between` reads them back. Only built when someone listens: the command line
    has no live stream, and the alert rules read the table."""
    return [{k: v for k, v in vitals.new_record(tx, row, first_id + index).items() if v is not None}
            for index, row in enumerate(rows)]


def next_id(tx: Transaction) -> int:
    """The id SQLite gives the next vitals row (the writer holds the database)."""
    return tx.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM vitals").fetchone()[0]


INSERT_COLUMNS = ("session_id", "taken_at") + vitals.MEASURES + (
    "map", "news2", "note", "source", "supersedes", "reason", "entered_at", "entered_by", "late", "seq",
    "import_key")
INSERT = f"INSERT INTO vitals ({', '.join(INSERT_COLUMNS)}) VALUES ({', '.join('?' for _ in INSERT_COLUMNS)})"
IN_INSERT_ORDER = itemgetter(*INSERT_COLUMNS)  # a row's values as INSERT takes them


class News2Inputs:
    """Each NEWS2 input's latest value and its time, as `vitals.news2_for` would read them from the table
    had the file's readings been entered one by one in time order: the session's current records from
    30 minutes before the first reading, then each reading as it is scored."""

    def __init__(self, tx: Transaction, session_id: int, since: datetime):
        cursor = tx.execute(
            f"SELECT taken_at, {', '.join(NEWS2_INPUTS)} FROM vitals_current WHERE session_id = ? AND taken_at > ?"
            " ORDER BY taken_at, id", (session_id, iso(since - vitals.NEWS2_WINDOW)))
        self.earlier = [(datetime.fromisoformat(taken_at), dict(zip(NEWS2_INPUTS, values)))
                        for taken_at, *values in cursor]
        self.earlier.reverse()  # the oldest last, to pop
        self.latest: dict[str, tuple[datetime, object]] = {}  # parameter -> (taken_at, value)

    def score(self, taken_at: datetime, values: dict) -> dict:
        """The NEWS2 of a reading taken at `taken_at` (none earlier than the one scored before)."""
        while self.earlier and self.earlier[-1][0] <= taken_at:
            self.take(*self.earlier.pop())
        self.take(taken_at, values)
        since = taken_at - vitals.NEWS2_WINDOW
        return news2.score({name: value for name, (moment, value) in self.latest.items() if moment > since})

    def take(self, taken_at: datetime, values: dict) -> None:
        latest = self.latest
        for name, value in values.items():
            if value is not None and name in NEWS2_INPUTS:
                latest[name] = (taken_at, value)
