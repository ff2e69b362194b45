"""Sessions: schedule, list, the whole record, state changes, signing and addenda."""
from __future__ import annotations

from flask import g, jsonify, request

from ...errors import ValidationFailed
from ...record import entries, notes, sessions
from ...views import lists, session_record
from .. import auth
from . import schemas as s
from .common import RECORDERS, api, audited_read, page_of, store, writing, zone


@api.operation("/sessions", "POST", summary="Schedule a session", roles=RECORDERS, body=s.SESSION_IN,
               response=s.ref("Session"), status=201)
def create_session(body):
    with writing() as tx:
        session = sessions.create(tx, body)
    return jsonify(session), 201


SESSION_FILTERS = {
    "state": {"type": "string", "description": "active (the default: not discharged and not aborted), all, or a state"},
    "from": {"type": "string", "description": "first dose (or, before it, scheduling) on or after this day or time"},
    "to": {"type": "string", "description": "first dose (or scheduling) on or before this day or time"},
    "patient_id": {"type": "integer", "minimum": 0}, "patient": {"type": "string", "description": "MRN or name"},
    "chair": {"type": "string"}, "signed": {"enum": ["true", "false"]},
}


@api.operation("/sessions", "GET", summary="List sessions, newest first, a page at a time",
               response=s.page_of(s.ref("Session")), query=SESSION_FILTERS | s.PAGE_QUERY, errors=(422,))
def list_sessions():
    return page_of("sessions", lambda after, limit: lists.session_page(store().db, request.args, zone(), after, limit))


@api.operation("/sessions/<int:session_id>", "GET", summary="The whole record of a session",
               response=s.ref("SessionRecord"), errors=(404,))
def get_session(session_id):
    whole = session_record.session_record(store().db, session_id)
    audited_read("session", session_id, session_id)
    return jsonify(whole)


@api.operation("/sessions/<int:session_id>/transitions", "POST", summary="Change the session's state",
               roles=RECORDERS, body=s.TRANSITION_IN, response=s.ref("Session"), errors=(404, 409))
def transition(session_id, body):
    with writing() as tx:
        at = entries.session_for(tx.db, session_id, zone()).clinical_time(body.get("at"), "at", tx.now)
        session = sessions.transition(tx, session_id, body["to"], at, reason=body.get("reason"),
                                      confirm=body.get("confirm", False), override=body.get("override", False))
    return jsonify(session)


@api.operation("/sessions/<int:session_id>/sign", "POST", summary="Sign and lock the record (clinician)",
               roles=("clinician",), body=s.SIGN_IN, response=s.ref("Session"), errors=(404, 409, 429))
def sign_session(session_id, body):
    if auth.checked_password(g.user["username"], body["password"]) is None:  # counts toward the lockout
        raise ValidationFailed("the password is not right", {"password": "is not right"})
    with writing() as tx:
        signed = sessions.sign(tx, session_id, body["meaning"])
    return jsonify(signed)


@api.operation("/sessions/<int:session_id>/addenda", "POST", summary="Add an addendum (allowed after signing)",
               roles=RECORDERS, body=s.ADDENDUM_IN, response={"type": "object"}, status=201, errors=(404,))
def add_addendum(session_id, body):
    with writing() as tx:
        note = notes.add_addendum(tx, session_id, body["text"])
    return jsonify(note), 201
