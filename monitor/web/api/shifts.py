"""A nurse's shift: the chairs she has taken, and handovers from one nurse to another."""
from __future__ import annotations

from flask import g, jsonify

from ...record import shifts
from ...timeutil import clinical_time
from . import schemas as s
from .common import RECORDERS, api, store, writing, zone

CHAIRS = {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 40}, "maxItems": 40}
CHAIRS_IN = s.strict({"chairs": CHAIRS}, ("chairs",))
CHAIRS_OUT = {"type": "object", "required": ["chairs"], "properties": {"chairs": CHAIRS}}
HANDOVER = {"type": "object", "properties": {
    "id": s.INT, "from": s.STR, "to": s.STR, "chairs": CHAIRS, "since": s.STR, "note": s.nullable(s.STR),
    "handed_at": s.STR, "accepted_at": s.nullable(s.STR)}}
HANDOVER_IN = s.strict({"to": {"type": "string", "minLength": 1, "maxLength": 100}, "chairs": CHAIRS,
                        "since": {"type": "string", "description": "when the shift began (ISO 8601)"},
                        "note": s.nullable({"type": "string", "maxLength": 2000})}, ("to", "chairs", "since"))


@api.operation("/me/chairs", "GET", summary="The chairs the signed-in nurse has taken", response=CHAIRS_OUT)
def my_chairs():
    return jsonify({"chairs": shifts.chairs_of(store().db, g.user["id"])})


@api.operation("/me/chairs", "PUT", summary="Take these chairs (an empty list: every chair)", roles=RECORDERS,
               body=CHAIRS_IN, response=CHAIRS_OUT)
def choose_my_chairs(body):
    with writing() as tx:
        chosen = shifts.choose_chairs(tx, body["chairs"])
    return jsonify({"chairs": chosen})


@api.operation("/handovers", "GET", summary="The latest handovers given by or to the signed-in user",
               response=s.list_of("handovers", HANDOVER))
def list_handovers():
    return jsonify({"handovers": shifts.for_user(store().db, g.user["id"])})


@api.operation("/handovers", "POST", summary="Hand the sheet of these chairs to another nurse", roles=RECORDERS,
               body=HANDOVER_IN, response=HANDOVER, status=201, errors=(422,))
def give_handover(body):
    with writing() as tx:
        since = clinical_time(body["since"], "since", zone(), tx.now)
        given = shifts.hand_over(tx, body["to"], body["chairs"], since, body.get("note"))
    return jsonify(given), 201


ACCEPT_IN = s.strict({})  # nothing to say: the receiver and the time are the acceptance


@api.operation("/handovers/<int:handover_id>/accept", "POST", summary="Accept a handover (its receiver only)",
               roles=RECORDERS, body=ACCEPT_IN, response=HANDOVER, errors=(409,))
def accept_handover(handover_id, body):
    with writing() as tx:
        accepted = shifts.accept(tx, handover_id)
    return jsonify(accepted)
