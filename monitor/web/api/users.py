"""Who is signed in, and the users an admin keeps."""
from __future__ import annotations

from flask import current_app, g, jsonify

from ...errors import NotFound
from ...record import users
from ...views import lists
from . import schemas as s
from .common import api, page_of, store, writing


@api.operation("/me", "GET", summary="Who is signed in", response={"type": "object", "required": ["username", "role"]})
def me():
    return jsonify({"id": g.user["id"], "username": g.user["username"], "role": g.user["role"]})


@api.operation("/users", "GET", summary="List users (admin)", roles=("admin",),
               response=s.page_of({"type": "object"}), query=s.PAGE_QUERY)
def list_users():
    return page_of("users", lambda after, limit: lists.user_page(store().db, after, limit))


@api.operation("/users", "POST", summary="Add a user (admin)", roles=("admin",), body=s.USER_IN,
               response={"type": "object"}, status=201, errors=(409,))
def add_user(body):
    with writing() as tx:
        user_id = users.add(tx, body["username"], body["role"], body["password"])
    return jsonify(users.by_id(store().db, user_id)), 201


@api.operation("/users/<int:user_id>", "POST", summary="Disable or enable a user (admin)", roles=("admin",),
               body=s.USER_STATE_IN, response={"type": "object"}, errors=(404, 409))
def set_user_state(user_id, body):
    if users.by_id(store().db, user_id) is None:
        raise NotFound(f"no user {user_id}")
    with writing() as tx:
        users.set_disabled(tx, user_id, body["disabled"])
    current_app.extensions["monitor.on_user_disabled"](user_id) if body["disabled"] else None
    return jsonify(users.by_id(store().db, user_id))
