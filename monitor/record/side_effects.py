"""Side effects: onset, severity, what was done about it, resolution."""
from __future__ import annotations

import json
from datetime import tzinfo

from sqlite_utils import Database

from ..errors import Conflict, NotFound, ValidationFailed
from ..store.db import Transaction
from ..timeutil import clinical_time, is_late, iso
from . import sessions

KINDS = (
    "nausea", "vomiting", "blurred_vision", "diplopia", "nystagmus", "dissociation", "dizziness", "vertigo",
    "sedation", "headache", "anxiety", "agitation", "hallucinations", "dysphoria", "confusion",
    "hypertension", "hypotension", "tachycardia", "bradycardia", "respiratory_depression",
    "hypersalivation", "allergic_reaction", "other",
)
INFUSION_ACTIONS = ("none", "paused", "stopped")
COLUMNS = ("id", "session_id", "kind", "severity", "observed_at", "intervention", "serious", "note",
           "entered_at", "entered_by", "late", "resolved_at")


def record(tx: Transaction, session_id: int, body: dict, *, zone: tzinfo, idempotency_key: str | None = None) -> dict:
    sessions.check_writable(tx.db, session_id)
    if idempotency_key:
        row = tx.execute("SELECT id FROM side_effects WHERE entered_by IS ? AND idempotency_key = ?",
                         (tx.actor.user_id, idempotency_key)).fetchone()
        if row:
            return get(tx.db, row[0])
    problems = {}
    if body["kind"] not in KINDS:
        problems["kind"] = "unknown side effect"
    if body["kind"] == "other" and not (body.get("note") or "").strip():
        problems["note"] = "describe the side effect"
    intervention = body.get("intervention") or None
    if intervention and intervention.get("infusion", "none") not in INFUSION_ACTIONS:
        problems["intervention.infusion"] = f"must be one of {', '.join(INFUSION_ACTIONS)}"
    if problems:
        raise ValidationFailed("the side effect has invalid values", problems)
    observed_at = clinical_time(body.get("observed_at"), "observed_at", zone, tx.now)
    side_effect_id = tx.insert("side_effects", {
        "session_id": session_id, "kind": body["kind"], "severity": body["severity"],
        "observed_at": iso(observed_at), "intervention": json.dumps(intervention) if intervention else None,
        "serious": int(bool(body.get("serious"))), "note": body.get("note"), "entered_at": iso(tx.now),
        "entered_by": tx.actor.user_id, "late": int(is_late(observed_at, tx.now)),
        "idempotency_key": idempotency_key})
    side_effect = get(tx.db, side_effect_id)
    tx.audit("side_effect.record", "side_effect", side_effect_id, session_id=session_id, after=side_effect)
    tx.event("side_effect.recorded", session_id, side_effect)
    return side_effect


def resolve(tx: Transaction, side_effect_id: int, resolved_at, *, zone: tzinfo) -> dict:
    side_effect = get(tx.db, side_effect_id)
    sessions.check_writable(tx.db, side_effect["session_id"])
    if side_effect["resolved_at"]:
        raise Conflict("this side effect is already resolved")
    when = clinical_time(resolved_at, "resolved_at", zone, tx.now)
    if iso(when) < side_effect["observed_at"]:
        raise ValidationFailed("resolved before it was observed", {"resolved_at": "is before the onset"})
    tx.insert("side_effect_resolutions", {"side_effect_id": side_effect_id, "resolved_at": iso(when),
                                          "entered_at": iso(tx.now), "entered_by": tx.actor.user_id})
    resolved = get(tx.db, side_effect_id)
    tx.audit("side_effect.resolve", "side_effect", side_effect_id, session_id=side_effect["session_id"],
             before=side_effect, after=resolved)
    tx.event("side_effect.resolved", side_effect["session_id"], resolved)
    return resolved


def _select(where: str) -> str:
    return ("SELECT s.id, s.session_id, s.kind, s.severity, s.observed_at, s.intervention, s.serious, s.note,"
            " s.entered_at, u.username, s.late, r.resolved_at FROM side_effects s"
            " LEFT JOIN users u ON u.id = s.entered_by"
            f" LEFT JOIN side_effect_resolutions r ON r.side_effect_id = s.id WHERE {where}")


def shape(row) -> dict:
    item = dict(zip(COLUMNS, row))
    item["intervention"] = json.loads(item["intervention"]) if item["intervention"] else None
    item["serious"], item["late"] = bool(item["serious"]), bool(item["late"])
    return item


def get(db: Database, side_effect_id: int) -> dict:
    row = db.execute(_select("s.id = ?"), (side_effect_id,)).fetchone()
    if not row:
        raise NotFound(f"no side effect {side_effect_id}")
    return shape(row)


def for_session(db: Database, session_id: int) -> list[dict]:
    return [shape(r) for r in db.execute(_select("s.session_id = ?") + " ORDER BY s.observed_at, s.id",
                                         (session_id,))]
