"""What is waiting for the caller: records to sign, REMS forms due, open alerts, vitals and scores due."""
from __future__ import annotations

from flask import g, jsonify

from ...views import worklist as waiting
from .common import api, store

PART = {"type": "object", "required": ["items", "count"],
        "properties": {"items": {"type": "array", "items": {"type": "object"}}, "count": {"type": "integer"}}}
WORKLIST = {"type": "object", "required": ["rems_due", "alerts", "due", "count"],
            "properties": {"to_sign": PART | {"description": "clinicians only: ended sessions not yet signed, "
                                                             "the longest waiting first"},
                           "rems_due": PART, "alerts": PART, "due": PART, "count": {"type": "integer"}}}


@api.operation("/worklist", "GET", summary="What is waiting for the caller: records to sign (clinician), REMS forms "
               "due or overdue, open alerts, vitals or scores due", response=WORKLIST)
def get_worklist():
    return jsonify(waiting.worklist(store().db, g.user, store().now()))
