"""Alerts raised for a session: one open alert per session and key (CLINICAL.md §4).

The rules themselves are data in `alert_rules`; this module keeps the alerts'
state (active, acknowledged, cleared) and answers the queries the API needs.
"""
from __future__ import annotations

import json

from sqlite_utils import Database

from .alert_rules import PRIORITY_RANK

COLUMNS = ("id", "session_id", "key", "priority", "message", "value", "limits", "rules_version", "state",
           "latched", "raised_at", "acknowledged_by", "acknowledged_at", "comment", "silenced_until",
           "cleared_at")
ORDER = ("ORDER BY CASE priority WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END DESC, raised_at DESC, id DESC")


def shape(row) -> dict:
    alert = dict(zip(COLUMNS, row))
    alert["limits"] = json.loads(alert["limits"]) if alert["limits"] else {}
    alert["value"] = json.loads(alert["value"]) if alert["value"] else None
    alert["latched"] = bool(alert["latched"])
    return alert


def for_session(db: Database, session_id: int) -> list[dict]:
    cursor = db.execute(f"SELECT {', '.join(COLUMNS)} FROM alerts WHERE session_id = ? {ORDER}", (session_id,))
    return [shape(r) for r in cursor]


def listing(db: Database, state: str = "active") -> list[dict]:
    where = "WHERE state != 'cleared'" if state == "active" else ""
    return [shape(r) for r in db.execute(f"SELECT {', '.join(COLUMNS)} FROM alerts {where} {ORDER}")]


def rank(priority: str | None) -> int:
    return PRIORITY_RANK.get(priority or "", 0)
