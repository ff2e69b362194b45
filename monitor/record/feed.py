"""The event log as its readers see it (the live stream, GET /api/events, catch-up).

The log keeps an import's `vitals.batch` as the range of its records' ids; this fills the records
back in. Imported vitals rows are insert-only and never change, so reading them back gives the
records exactly as they were stored (status `current`, as when the batch was published), and the
log does not hold every imported reading a second time.
"""
from __future__ import annotations

from sqlite_utils import Database

from ..store import events
from .vitals import records_between


def since(db: Database, seq: int, *, session_id: int | None = None, limit: int = 1000) -> list[dict]:
    """Events after `seq`, in order, optionally for one session, each batch with its records."""
    return with_records(db, events.since(db, seq, session_id=session_id, limit=limit))


def last_seq(db: Database) -> int:
    return events.last_seq(db)


def with_records(db: Database, found: list[dict]) -> list[dict]:
    """Fill in the records of the import batches among `found`."""
    for event in found:
        data = event["data"]
        if event["type"] == "vitals.batch" and "records" not in data:
            data["records"] = records_between(db, data["first_id"], data["last_id"])
    return found
