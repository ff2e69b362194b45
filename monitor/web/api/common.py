"""The HTTP API of CONTRACT.md §2: thin doors into the domain, one write transaction per change."""
from __future__ import annotations

import json
import math
import re

from flask import Blueprint, jsonify, request
from flask.json.provider import DefaultJSONProvider

from ... import __version__
from ...errors import BadRequest
from .. import context
from ..context import RECORDERS, REVIEWERS, audited_read, store, writing, zone  # noqa: F401  (for the api modules)
from .openapi import MAX_ID, Api

blueprint = Blueprint("api", __name__, url_prefix="/api")
api = Api(blueprint, "/api")
MAX_JSON_DEPTH = 32  # the deepest body the API takes is 4 levels; jsonschema and json recurse per level
SURROGATE = re.compile("[\ud800-\udfff]")
MIN_ID = -(2**63)


class RequestJson(DefaultJSONProvider):
    """The app's JSON: every request body any route reads (`request.get_json`) is parsed here once, and
    what SQLite or the validators cannot take is a 400 before a route sees it (each was once a 500)."""

    def loads(self, s, **kwargs):
        try:
            value = json.loads(s, parse_constant=not_a_number, **kwargs)
        except RecursionError:
            raise BadRequest(f"the body is nested more than {MAX_JSON_DEPTH} levels deep",
                             {"body": "nested too deep"}) from None
        check_storable(value)
        return value


def not_a_number(name: str):
    raise BadRequest(f"{name} is not a number JSON allows", {"body": f"{name} is not allowed"})


def check_storable(value) -> None:
    """400 for a body nested too deep, a text holding a lone surrogate (not Unicode text; SQLite
    cannot store it) or a number SQLite cannot hold (an integer past 64 bits, an overflowing float)."""
    pending = [(value, 1, "body")]
    while pending:
        item, depth, where = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(f"the body is nested more than {MAX_JSON_DEPTH} levels deep", {where: "nested too deep"})
        if isinstance(item, dict):
            for key, inner in item.items():
                check_text(key, where)
                pending.append((inner, depth + 1, key if where == "body" else f"{where}.{key}"))
        elif isinstance(item, list):
            pending.extend((inner, depth + 1, f"{where}.{i}" if where != "body" else str(i))
                           for i, inner in enumerate(item))
        elif isinstance(item, str):
            check_text(item, where)
        elif isinstance(item, bool):
            continue
        elif (isinstance(item, int) and not MIN_ID <= item <= MAX_ID) or (isinstance(item, float)
                                                                          and not math.isfinite(item)):
            raise BadRequest(f"{where} is a number out of range", {where: "out of range"})


def check_text(text: str, where: str) -> None:
    if SURROGATE.search(text):
        raise BadRequest(f"{where} holds a lone surrogate, which is not text", {where: "not valid Unicode text"})


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 200:
        raise BadRequest("Idempotency-Key must be 1 to 200 characters", {"Idempotency-Key": "bad length"})
    return key


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


AUDITED_LISTS = ("patients", "sessions", "rems")  # the lists that show names and MRNs


def page_of(list_name: str, fetch):
    """A list's page as CONTRACT.md §2 says: `{items, next}`; audited when it shows who the patients are."""
    items, following = context.page(list_name, fetch)
    if list_name in AUDITED_LISTS:
        context.audited_list(list_name, items)
    return jsonify({"items": items, "next": following})


@api.operation("/openapi.json", "GET", summary="This document", public=True, response={"type": "object"})
def openapi_document():
    return jsonify(api.document(__version__))
