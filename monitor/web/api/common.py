"""The HTTP API of CONTRACT.md §2: thin doors into the domain, one write transaction per change."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from ... import __version__
from ...errors import BadRequest
from ...record import users
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
    """A whole-number query parameter, `default` when absent; given empty it is a bad request, as the
    document says (the fuzz test found `?limit=` answered as if absent)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number", {name: "must be a whole number"}) from None
    if value < minimum or value > (MAX_ID if maximum is None else maximum):  # SQLite holds no larger
        raise BadRequest(f"{name} is out of range", {name: "out of range"})
    return value


@api.operation("/openapi.json", "GET", summary="This document", public=True, response={"type": "object"})
def openapi_document():
    return jsonify(api.document(__version__))
