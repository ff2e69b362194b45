"""The bedside entries beside vitals: side effects and their resolution, assessments, notes."""
from __future__ import annotations

from flask import jsonify

from ...record import assessments, notes, side_effects
from . import schemas as s
from .common import RECORDERS, api, idempotency_key, writing, zone


@api.operation("/sessions/<int:session_id>/side-effects", "POST", summary="Record a side effect",
               roles=RECORDERS, body=s.SIDE_EFFECT_IN, response={"type": "object"}, status=201, errors=(404, 409))
def record_side_effect(session_id, body):
    with writing() as tx:
        found = side_effects.record(tx, session_id, body, zone=zone(), idempotency_key=idempotency_key())
    return jsonify(found), 201


@api.operation("/side-effects/<int:side_effect_id>/resolve", "POST", summary="Mark a side effect resolved",
               roles=RECORDERS, body=s.RESOLVE_IN, response={"type": "object"}, errors=(404, 409))
def resolve_side_effect(side_effect_id, body):
    with writing() as tx:
        resolved = side_effects.resolve(tx, side_effect_id, body.get("resolved_at"), zone=zone())
    return jsonify(resolved)


@api.operation("/sessions/<int:session_id>/assessments", "POST", summary="Score an instrument",
               roles=RECORDERS, body=s.ASSESSMENT_IN, response={"type": "object", "required": ["total"]},
               status=201, errors=(404, 409))
def record_assessment(session_id, body):
    with writing() as tx:
        scored = assessments.record(tx, session_id, body, zone=zone(), idempotency_key=idempotency_key())
    return jsonify(scored), 201


@api.operation("/sessions/<int:session_id>/notes", "POST", summary="Add a note, medication or escalation",
               roles=RECORDERS, body=s.NOTE_IN, response={"type": "object"}, status=201, errors=(404, 409))
def record_note(session_id, body):
    with writing() as tx:
        note = notes.record(tx, session_id, body, zone=zone(), idempotency_key=idempotency_key())
    return jsonify(note), 201
