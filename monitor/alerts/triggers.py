"""What each event a write appends asks of the alert engine: no writer calls the engine.

`listen(store)` hands every write transaction to `evaluate` just before its COMMIT. It reads the
events the write appended and runs each evaluation they ask for once per session, in the order
the events came, with those events. The alert.* events the engine (or a person acting on an
alert) appends ask for nothing, so the engine never re-triggers itself.
"""
from __future__ import annotations

from collections.abc import Callable

from ..store.db import Store, Transaction
from . import engine

Evaluation = Callable[[Transaction, int, list[dict]], None]  # (tx, session id, the events that asked)


def readings(tx: Transaction, session_id: int, found: list[dict]) -> None:
    """The vitals rules on the latest readings: a record was saved, amended, voided or imported, or a
    MOAA/S scored (a sedation reading like the one in a vitals record)."""
    if any(e["type"] != "assessment.recorded" or e["data"]["instrument"] == "moaas" for e in found):
        engine.evaluate_vitals(tx, session_id)


def assessments(tx: Transaction, session_id: int, found: list[dict]) -> None:
    """A MOAA/S is a sedation reading for the vitals rules; a PHQ-9 may raise the suicidality alert."""
    readings(tx, session_id, [e for e in found if e["data"]["instrument"] == "moaas"])
    for event in found:
        if event["data"]["instrument"] == "phq9":
            engine.evaluate_suicidality(tx, session_id, event["data"])


def rems_form(tx: Transaction, session_id: int, found: list[dict]) -> None:
    """A REMS form marked submitted is no longer due: its day-6 reminder clears."""
    engine.clear_rems_due(tx, session_id)


def side_effects(tx: Transaction, session_id: int, found: list[dict]) -> None:
    """The worst unresolved side effect decides the session's side-effect alert."""
    engine.evaluate_side_effects(tx, session_id)


def notes(tx: Transaction, session_id: int, found: list[dict]) -> None:
    """An escalation note raises a high alert."""
    for event in found:
        engine.evaluate_note(tx, event["data"])


def transitions(tx: Transaction, session_id: int, found: list[dict]) -> None:
    """A started infusion checks the baseline BP, every state change the time rules, an ended session clears."""
    for event in found:
        engine.evaluate_transition(tx, session_id, event["data"])


TRIGGERS: dict[str, Evaluation | None] = {
    "session.created": None,
    "session.transitioned": transitions,
    "vitals.recorded": readings,
    "vitals.amended": readings,
    "vitals.voided": readings,
    "vitals.batch": readings,
    "side_effect.recorded": side_effects,
    "side_effect.resolved": side_effects,
    "assessment.recorded": assessments,
    "note.recorded": notes,
    "session.signed": None,
    "rems.submitted": rems_form,
    "rems.answered": None,
    "alert.raised": None,
    "alert.acknowledged": None,
    "alert.silenced": None,
    "alert.cleared": None,
    "chairs.chosen": None,
    "handover.given": None,
    "handover.accepted": None,
}


def evaluate(tx: Transaction) -> None:
    """The `before_commit` hook: each evaluation the transaction's events ask for, once per session."""
    asked: dict[tuple[int, Evaluation], list[dict]] = {}
    for event in list(tx.events):  # a copy: the engine's own events, appended below, ask for nothing
        evaluation = TRIGGERS[event["type"]]
        if evaluation is not None and event["session_id"] is not None:
            asked.setdefault((event["session_id"], evaluation), []).append(event)
    for (session_id, evaluation), found in asked.items():
        evaluation(tx, session_id, found)


def listen(store: Store) -> Store:
    """Let the alert engine hear every write of `store` (the composition roots call this)."""
    store.before_commit(evaluate)
    return store
