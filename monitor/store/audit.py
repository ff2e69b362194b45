"""The audit trail: who did what, when, to which record, with before and after.

Entries are chained: each one's hash covers its content and the previous hash, so a changed or
removed entry breaks the chain from there on. Two anchors make what the chain alone cannot see
fail `verify` too:

- the head (`audit_head`, one row outside the entries it covers) holds the last entry's id and
  hash, so entries cut off the end of the chain are missed;
- the last entry of every write holds a digest of the rows that write added to the insert-only
  tables (`rows`: each table's rowid range, `rows_hash`: their content), inside its hash, so a
  clinical row edited or deleted with the triggers dropped no longer matches its entry.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from ..timeutil import iso
from .migrations import PROTECTED

GENESIS = "0" * 64
HASHED = ("at", "actor_id", "actor", "action", "entity", "entity_id", "session_id", "before", "after")
COVERING = ("rows", "rows_hash")
DIGEST_BATCH = 1000  # hashed too, when the entry covers rows (entries before them have none)


def entry_hash(row: dict, prev_hash: str) -> str:
    values = [prev_hash] + [row[k] for k in HASHED]
    if row.get("rows") is not None:
        values += [row[k] for k in COVERING]
    content = json.dumps(values, separators=(",", ":"), default=str)
    return hashlib.sha256(content.encode()).hexdigest()


def append(db: Database, actor, at: datetime, action: str, entity: str, entity_id,
           session_id, before, after) -> None:
    """Add one entry, chained to the last; call inside the change's transaction."""
    append_all(db, actor, at, [(action, entity, entity_id, session_id, before, after)])


def append_all(db: Database, actor, at: datetime, entries: list[tuple]) -> None:
    """Add a write's entries (action, entity, entity_id, session_id, before, after), chained, the last
    covering every row the write added to an insert-only table; call just before COMMIT."""
    head = db.execute("SELECT last_hash, marks FROM audit_head WHERE id = 1").fetchone()
    prev_hash, marks = (head[0], json.loads(head[1])) if head else (last_hash(db), None)
    ranges, now_marks = ({}, marks) if marks is None else added_rows(db, marks)
    if ranges and not entries:
        entries = [("write", "rows", None, None, None, None)]
    for number, (action, entity, entity_id, session_id, before, after) in enumerate(entries, start=1):
        row = {
            "at": iso(at), "actor_id": actor.user_id, "actor": actor.username, "action": action,
            "entity": entity, "entity_id": None if entity_id is None else str(entity_id),
            "session_id": session_id,
            "before": None if before is None else json.dumps(before, sort_keys=True, default=str),
            "after": None if after is None else json.dumps(after, sort_keys=True, default=str),
            "rows": None, "rows_hash": None,
        }
        if number == len(entries) and ranges:
            row["rows"] = json.dumps(ranges, sort_keys=True, separators=(",", ":"))
            row["rows_hash"] = rows_digest(db, ranges)
        row["prev_hash"], row["hash"] = prev_hash, entry_hash(row, prev_hash)
        cursor = db.execute(
            "INSERT INTO audit (at, actor_id, actor, action, entity, entity_id, session_id, before, after, rows,"
            " rows_hash, prev_hash, hash) VALUES (:at, :actor_id, :actor, :action, :entity, :entity_id,"
            " :session_id, :before, :after, :rows, :rows_hash, :prev_hash, :hash)", row)
        prev_hash = row["hash"]
    if head and entries:
        db.execute("UPDATE audit_head SET last_id = ?, last_hash = ?, marks = ? WHERE id = 1",
                   (cursor.lastrowid, prev_hash, json.dumps(now_marks, sort_keys=True)))


def last_hash(db: Database) -> str:
    last = db.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return last[0] if last else GENESIS


def table_marks(db: Database) -> dict[str, int]:
    """The highest rowid of every insert-only table (0 when empty)."""
    return {t: db.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM [{t}]").fetchone()[0] for t in PROTECTED}


def added_rows(db: Database, marks: dict[str, int]) -> tuple[dict[str, list[int]], dict[str, int]]:
    """The rowid ranges added since `marks` (table -> [first, last]) and the marks now."""
    now = table_marks(db)
    ranges = {t: [marks.get(t, 0) + 1, high] for t, high in now.items() if high > marks.get(t, 0)}
    return ranges, now


def rows_digest(db: Database, ranges: dict[str, list[int]]) -> str:
    """SHA-256 of every row in `ranges`, table by table, in rowid order, all columns."""
    digest = hashlib.sha256()
    for table in sorted(ranges):
        first, last = ranges[table]
        digest.update(table.encode())
        cursor = db.execute(f"SELECT rowid, * FROM [{table}] WHERE rowid BETWEEN ? AND ? ORDER BY rowid",
                            (first, last))
        while batch := cursor.fetchmany(DIGEST_BATCH):  # repr of a batch of tuples: C-fast and exact
            digest.update(repr(batch).encode())
    return digest.hexdigest()


@dataclass
class Verdict:
    checked: int
    broken: int | None = None  # the first entry that fails
    reason: str = ""


def check(db: Database) -> Verdict:
    """Walk the chain, the rows each entry covers and the head; the first problem found, if any."""
    prev_hash, checked, expected_id, last_id = GENESIS, 0, None, None
    cursor = db.execute("SELECT id, " + ", ".join(HASHED + COVERING) + ", prev_hash, hash FROM audit ORDER BY id")
    columns = [d[0] for d in cursor.description]
    for values in cursor.fetchall():
        row = dict(zip(columns, values))
        if expected_id is not None and row["id"] != expected_id:
            return Verdict(checked, expected_id, f"entry {expected_id} is missing")
        if row["prev_hash"] != prev_hash or entry_hash(row, prev_hash) != row["hash"]:
            return Verdict(checked, row["id"], f"entry {row['id']} was changed")
        if row["rows"] is not None and rows_digest(db, json.loads(row["rows"])) != row["rows_hash"]:
            tables = ", ".join(sorted(json.loads(row["rows"])))
            return Verdict(checked, row["id"], f"rows entry {row['id']} wrote ({tables}) were changed or removed")
        prev_hash, checked, expected_id, last_id = row["hash"], checked + 1, row["id"] + 1, row["id"]
    return check_head(db, checked, last_id, prev_hash)


def check_head(db: Database, checked: int, last_id: int | None, last: str) -> Verdict:
    """The chain must end where its head says, and no insert-only row may lie past what it covers."""
    head = db.execute("SELECT last_id, last_hash, marks FROM audit_head WHERE id = 1").fetchone()
    if head is None:
        return Verdict(checked)
    if head[0] != last_id or (last_id is not None and head[1] != last):
        missing = (last_id or 0) + 1
        return Verdict(checked, missing, f"the chain ends at entry {last_id} but its head records entry "
                                         f"{head[0]}: entries were cut off the end")
    marks = json.loads(head[2])
    for table, high in table_marks(db).items():
        if high > marks.get(table, 0):
            return Verdict(checked, (last_id or 0) + 1, f"{table} holds rows after those the audit trail covers "
                                                        f"(rowid {marks.get(table, 0) + 1} on)")
    return Verdict(checked)


def verify(db: Database) -> tuple[int, int | None]:
    """(entries checked, id of the first broken entry or None)."""
    verdict = check(db)
    return verdict.checked, verdict.broken
