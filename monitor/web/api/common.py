"""The HTTP API of CONTRACT.md §2: thin doors into the domain, one write transaction per change."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from ...errors import BadRequest, ValidationFailed
from ...record import assessments, notes, patients, sessions, side_effects, users, vitals
from ...store import audit, events
from ...timeutil import clinical_time
from ...views import session_record as record
from . import schemas as s
from .openapi import MAX_ID, Api

blueprint = Blueprint("api", __name__, url_prefix="/api")
api = Api(blueprint, "/api")
RECORDERS = ("nurse", "clinician")
REVIEWERS = ("clinician", "admin")


def store():
    return current_app.extensions["monitor.store"]


def zone():
    return current_app.extensions["monitor.config"].timezone


def writing():
    """The write transaction of this request, acting as the signed-in user."""
    return store().write(users.actor_for(g.user))


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 200:
        raise BadRequest("Idempotency-Key must be 1 to 200 characters", {"Idempotency-Key": "bad length"})
    return key


def audited_read(entity: str, entity_id: int, session_id: int | None = None) -> None:
    """Every read of a patient's record leaves an audit entry."""
    with writing() as tx:
        tx.audit("read", entity, entity_id, session_id=session_id)


def int_arg(name: str, default: int | None = None, minimum: int = 0, maximum: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number", {name: "must be a whole number"}) from None
    if value < minimum or value > (MAX_ID if maximum is None else maximum):  # SQLite holds no larger
        raise BadRequest(f"{name} is out of range", {name: "out of range"})
    return value


# Patients

@api.operation("/patients", "POST", summary="Add a patient", roles=RECORDERS + ("admin",),
               body=s.PATIENT_IN, response=s.ref("Patient"), status=201, errors=(409,))
def create_patient(body):
    with writing() as tx:
        patient = patients.create(tx, body)
    return jsonify(patient), 201


@api.operation("/patients", "GET", summary="Search patients by MRN or name", response=s.list_of(
    "patients", s.ref("Patient")), query={"q": {"type": "string"}})
def search_patients():
    return jsonify({"patients": patients.search(store().db, request.args.get("q", ""))})


@api.operation("/patients/<int:patient_id>", "GET", summary="One patient with their treatment series",
               response={"allOf": [s.ref("Patient"), {"type": "object", "required": ["sessions"]}]},
               errors=(404,))
def get_patient(patient_id):
    series = record.treatment_series(store().db, patient_id)
    audited_read("patient", patient_id)
    return jsonify(series)


# Sessions

@api.operation("/sessions", "POST", summary="Schedule a session", roles=RECORDERS, body=s.SESSION_IN,
               response=s.ref("Session"), status=201)
def create_session(body):
    with writing() as tx:
        session = sessions.create(tx, body)
    return jsonify(session), 201


@api.operation("/sessions", "GET", summary="List sessions (active = not discharged and not aborted)",
               response=s.list_of("sessions", s.ref("Session")), query={"state": {"type": "string"}},
               errors=(422,))
def list_sessions():
    db = store().db
    ids = sessions.list_ids(db, request.args.get("state", "active"))
    return jsonify({"sessions": [record.session_summary(db, i) for i in ids]})


@api.operation("/sessions/<int:session_id>", "GET", summary="The whole record of a session",
               response=s.ref("SessionRecord"), errors=(404,))
def get_session(session_id):
    whole = record.session_record(store().db, session_id)
    audited_read("session", session_id, session_id)
    return jsonify(whole)


@api.operation("/sessions/<int:session_id>/transitions", "POST", summary="Change the session's state",
               roles=RECORDERS, body=s.TRANSITION_IN, response=s.ref("Session"), errors=(404, 409))
def transition(session_id, body):
    with writing() as tx:
        at = clinical_time(body.get("at"), "at", zone(), tx.now)
        session = sessions.transition(tx, session_id, body["to"], at, reason=body.get("reason"),
                                      confirm=body.get("confirm", False), override=body.get("override", False))
    return jsonify(session)


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


@api.operation("/sessions/<int:session_id>/sign", "POST", summary="Sign and lock the record (clinician)",
               roles=("clinician",), body=s.SIGN_IN, response=s.ref("Session"), errors=(404, 409))
def sign_session(session_id, body):
    if users.check_password(store().db, g.user["username"], body["password"]) is None:
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


# The event log and the audit trail

@api.operation("/events", "GET", summary="The event log after SEQ, in order", response=s.EVENTS,
               query={"since": {"type": "integer", "minimum": 0}, "session_id": {"type": "integer", "minimum": 0},
                      "limit": {"type": "integer", "minimum": 1, "maximum": 5000}}, errors=(400,))
def list_events():
    db = store().db
    found = events.since(db, int_arg("since", 0), session_id=int_arg("session_id"),
                         limit=int_arg("limit", 1000, 1, 5000))
    return jsonify({"events": found, "last_seq": events.last_seq(db)})


@api.operation("/audit", "GET", summary="Audit entries (clinician, admin)", roles=REVIEWERS,
               response=s.list_of("entries", {"type": "object"}),
               query={"session_id": {"type": "integer", "minimum": 0}}, errors=(400,))
def list_audit():
    return jsonify({"entries": audit.entries(store().db, int_arg("session_id"))})


# Users (admin)

@api.operation("/me", "GET", summary="Who is signed in", response={"type": "object", "required": ["username", "role"]})
def me():
    return jsonify({"id": g.user["id"], "username": g.user["username"], "role": g.user["role"]})


@api.operation("/users", "GET", summary="List users (admin)", roles=("admin",),
               response=s.list_of("users", {"type": "object"}))
def list_users():
    return jsonify({"users": users.list_all(store().db)})


@api.operation("/users", "POST", summary="Add a user (admin)", roles=("admin",), body=s.USER_IN,
               response={"type": "object"}, status=201, errors=(409,))
def add_user(body):
    with writing() as tx:
        user_id = users.add(tx, body["username"], body["role"], body["password"])
    return jsonify(users.by_id(store().db, user_id)), 201


@api.operation("/users/<int:user_id>", "POST", summary="Disable or enable a user (admin)", roles=("admin",),
               body=s.USER_STATE_IN, response={"type": "object"}, errors=(404,))
def set_user_state(user_id, body):
    from ...errors import NotFound

    if users.by_id(store().db, user_id) is None:
        raise NotFound(f"no user {user_id}")
    with writing() as tx:
        users.set_disabled(tx, user_id, body["disabled"])
    current_app.extensions["monitor.on_user_disabled"](user_id) if body["disabled"] else None
    return jsonify(users.by_id(store().db, user_id))


@api.operation("/openapi.json", "GET", summary="This document", public=True, response={"type": "object"})
def openapi_document():
    from ... import __version__

    return jsonify(api.document(__version__))
