"""Side effects: onset, severity, what was done about it, resolution."""
from __future__ import annotations

import json
from datetime import datetime, tzinfo

from sqlite_utils import Database

from ..errors import Conflict, NotFound, ValidationFailed
from ..store.db import Transaction
from ..timeutil import iso
from . import entries

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
    """Record a side effect through the entry pipeline."""
    return entries.enter(tx, KIND, session_id, body, zone=zone, key=idempotency_key,
                         check=lambda session: [prepare(body, session, tx.now)], insert=insert)[0]


def prepare(body: dict, session: entries.Session, now: datetime) -> dict:
    """Check a side effect and its intervention; the row to store."""
    problems = {}
    if body["kind"] not in KINDS:
        problems["kind"] = "unknown side effect"
    if body["kind"] == "other" and not (body.get("note") or "").strip():
        problems["note"] = "describe the side effect"
    intervention = intervention_of(body.get("intervention"))
    if intervention and intervention.get("infusion", "none") not in INFUSION_ACTIONS:
        problems["intervention.infusion"] = f"must be one of {', '.join(INFUSION_ACTIONS)}"
    if problems:
        raise ValidationFailed("the side effect has invalid values", problems)
    observed_at = session.clinical_time(body.get("observed_at"), "observed_at", now)
    if intervention and intervention.get("at") is not None:
        intervention["at"] = iso(session.clinical_time(intervention["at"], "intervention.at", now))
    return {"session_id": session.id, "kind": body["kind"], "severity": body["severity"],
            "observed_at": iso(observed_at), "intervention": json.dumps(intervention) if intervention else None,
            "serious": int(bool(body.get("serious"))), "note": body.get("note"),
            "late": int(session.late(observed_at, now))}


def intervention_of(given) -> dict | None:
    """What was done about it: an object, or a plain text taken as its description ("ondansetron 4 mg IV")."""
    if isinstance(given, str):
        return {"text": given.strip()} if given.strip() else None
    return dict(given) if given else None


def insert(tx: Transaction, session: entries.Session, row: dict) -> dict:
    side_effect_id = tx.insert("side_effects", row | {"entered_at": iso(tx.now), "entered_by": tx.actor.user_id})
    return get(tx.db, side_effect_id)


def resolve(tx: Transaction, side_effect_id: int, resolved_at, *, zone: tzinfo) -> dict:
    side_effect = get(tx.db, side_effect_id)
    session = entries.session_for(tx.db, side_effect["session_id"], zone)
    if side_effect["resolved_at"]:
        raise Conflict("this side effect is already resolved")
    when = session.clinical_time(resolved_at, "resolved_at", tx.now)
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


KIND = entries.Kind("side_effect", "side_effect.record", "side_effect.recorded", get)


def unresolved(db: Database, sessions_sql: str) -> list[dict]:
    """The side effects not yet resolved of the sessions `sessions_sql` selects (their ids), oldest first."""
    return [shape(r) for r in db.execute(_select(f"s.session_id IN ({sessions_sql}) AND r.resolved_at IS NULL")
                                         + " ORDER BY s.session_id, s.observed_at, s.id")]


def for_session(db: Database, session_id: int) -> list[dict]:
    return [shape(r) for r in db.execute(_select("s.session_id = ?") + " ORDER BY s.observed_at, s.id",
                                         (session_id,))]
