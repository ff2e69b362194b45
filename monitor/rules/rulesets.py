"""The alert thresholds in force: every version kept, the newest applies."""
from __future__ import annotations

import json

from sqlite_utils import Database

from ..errors import ValidationFailed
from ..store.db import Transaction
from ..timeutil import iso
from . import alert_rules


def in_force(db: Database) -> dict:
    """The newest rule set, or the defaults of CLINICAL.md §4 when none was saved (a fresh copy either
    way, decoded from JSON: every save and transition asks, and copy.deepcopy took ~1.7 ms of each)."""
    row = db.execute("SELECT rules FROM alert_rule_versions ORDER BY version DESC LIMIT 1").fetchone()
    return alert_rules.with_defaults(json.loads(row[0])) if row else json.loads(DEFAULTS_TEXT)


DEFAULTS_TEXT = json.dumps(alert_rules.DEFAULT_RULES)


def current_version(db: Database) -> int:
    row = db.execute("SELECT MAX(version) FROM alert_rule_versions").fetchone()
    return row[0] or 0


def versions(db: Database) -> list[dict]:
    cursor = db.execute("SELECT r.version, r.reason, r.changed_at, u.username FROM alert_rule_versions r"
                        " LEFT JOIN users u ON u.id = r.changed_by ORDER BY r.version")
    return [dict(zip(("version", "reason", "changed_at", "changed_by"), row)) for row in cursor]


def replace(tx: Transaction, rules: dict, reason: str) -> dict:
    """Save a new version of the thresholds (clinician or admin, with a reason)."""
    if not reason.strip():
        raise ValidationFailed("a reason is required to change the thresholds", {"reason": "is required"})
    checked = alert_rules.validate_rules(rules)
    before = in_force(tx.db)
    version = current_version(tx.db) + 1
    tx.insert("alert_rule_versions", {"version": version, "rules": json.dumps(checked, sort_keys=True),
                                      "reason": reason.strip(), "changed_at": iso(tx.now),
                                      "changed_by": tx.actor.user_id})
    tx.audit("alert_rules.change", "alert_rules", version, before=before, after=checked)
    return {"version": version, "rules": checked}
