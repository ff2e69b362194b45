"""Vitals: record one or a list, read one with its history, amend, void."""
from __future__ import annotations

from flask import jsonify, request

from ...errors import BadRequest
from ...record import vitals
from . import schemas as s
from .common import RECORDERS, api, audited_read, idempotency_key, store, writing, zone


@api.operation("/sessions/<int:session_id>/vitals", "POST", summary="Record vitals: one object or a list",
               roles=RECORDERS, body=s.VITALS_IN, raw_body=True, status=201, errors=(404, 409),
               response={"anyOf": [s.ref("Vitals"), s.array_of("Vitals")]})
def record_vitals(session_id):
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest("send a JSON object or a list of them")
    bodies = body if isinstance(body, list) else [body]
    if not bodies or len(bodies) > 500:
        raise BadRequest("send between 1 and 500 records")
    with writing() as tx:
        stored = vitals.record(tx, session_id, bodies, zone=zone(), idempotency_key=idempotency_key())
    return jsonify(stored if isinstance(body, list) else stored[0]), 201


@api.operation("/vitals/<int:vitals_id>", "GET", summary="One vitals record with its amendment history",
               response={"allOf": [s.ref("Vitals"), {"type": "object", "required": ["history"],
                                                     "properties": {"history": s.array_of("Vitals")}}]},
               errors=(404,))
def get_vitals(vitals_id):
    db = store().db
    found = vitals.get(db, vitals_id) | {"history": vitals.history(db, vitals_id)}
    audited_read("vitals", vitals_id, found["session_id"])
    return jsonify(found)


@api.operation("/vitals/<int:vitals_id>/amend", "POST", summary="Correct a record; the original stays",
               roles=RECORDERS, body=s.AMEND_IN, raw_body=True, response=s.ref("Vitals"), status=201,
               errors=(404, 409))
def amend_vitals(vitals_id):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("send a JSON object with the changed fields and a reason")
    with writing() as tx:
        amended = vitals.amend(tx, vitals_id, body, zone=zone())
    return jsonify(amended), 201


@api.operation("/vitals/<int:vitals_id>/void", "POST", summary="Mark a record entered in error",
               roles=RECORDERS, body=s.VOID_IN, response=s.ref("Vitals"), errors=(404, 409))
def void_vitals(vitals_id, body):
    with writing() as tx:
        voided = vitals.void(tx, vitals_id, body["reason"])
    return jsonify(voided)
