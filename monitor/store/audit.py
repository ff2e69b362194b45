"""The audit trail: who did what, when, to which record, with before and after.

Entries are chained: each one's hash covers its content and the previous hash,
so a changed or removed row breaks the chain from that row on.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlite_utils import Database

from ..timeutil import iso

GENESIS = "0" * 64
HASHED = ("at", "actor_id", "actor", "action", "entity", "entity_id", "session_id", "before", "after")


def entry_hash(row: dict, prev_hash: str) -> str:
    content = json.dumps([prev_hash] + [row[k] for k in HASHED], separators=(",", ":"), default=str)
    return hashlib.sha256(content.encode()).hexdigest()


def append(db: Database, actor, at: datetime, action: str, entity: str, entity_id,
           session_id, before, after) -> None:
    """Add one entry, chained to the last; call inside the change's transaction."""
    last = db.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash = last[0] if last else GENESIS
    row = {
        "at": iso(at), "actor_id": actor.user_id, "actor": actor.username, "action": action,
        "entity": entity, "entity_id": None if entity_id is None else str(entity_id),
        "session_id": session_id,
        "before": None if before is None else json.dumps(before, sort_keys=True, default=str),
        "after": None if after is None else json.dumps(after, sort_keys=True, default=str),
    }
    row["prev_hash"], row["hash"] = prev_hash, entry_hash(row, prev_hash)
    db.execute(
        "INSERT INTO audit (at, actor_id, actor, action, entity, entity_id, session_id, before, after,"
        " prev_hash, hash) VALUES (:at, :actor_id, :actor, :action, :entity, :entity_id, :session_id,"
        " :before, :after, :prev_hash, :hash)", row)


def verify(db: Database) -> tuple[int, int | None]:
    """Walk the chain; return (entries checked, id of the first broken entry or None)."""
    prev_hash, checked, expected_id = GENESIS, 0, None
    cursor = db.execute("SELECT id, " + ", ".join(HASHED) + ", prev_hash, hash FROM audit ORDER BY id")
    columns = [d[0] for d in cursor.description]
    for values in cursor:
        row = dict(zip(columns, values))
        if expected_id is not None and row["id"] != expected_id:
            return checked, expected_id
        if row["prev_hash"] != prev_hash or entry_hash(row, prev_hash) != row["hash"]:
            return checked, row["id"]
        prev_hash, checked, expected_id = row["hash"], checked + 1, row["id"] + 1
    return checked, None


def entries(db: Database, session_id: int | None = None, limit: int = 1000) -> list[dict]:
    where, params = ("WHERE session_id = ?", [session_id]) if session_id is not None else ("", [])
    rows = db.execute(
        f"SELECT id, at, actor, action, entity, entity_id, session_id, before, after FROM audit {where}"
        " ORDER BY id DESC LIMIT ?", params + [limit])
    columns = [d[0] for d in rows.description]
    out = []
    for values in rows:
        row = dict(zip(columns, values))
        for key in ("before", "after"):
            row[key] = json.loads(row[key]) if row[key] else None
        out.append(row)
    return out
