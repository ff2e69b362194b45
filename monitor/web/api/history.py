"""The event log after a seq, and the audit trail."""
from __future__ import annotations

from flask import jsonify

from ...record import feed
from ...views import lists
from . import schemas as s
from .common import REVIEWERS, api, int_arg, page_of, store


@api.operation("/events", "GET", summary="The event log after SEQ, in order", response=s.EVENTS,
               query={"since": {"type": "integer", "minimum": 0}, "session_id": {"type": "integer", "minimum": 0},
                      "limit": {"type": "integer", "minimum": 1, "maximum": 5000}}, errors=(400,))
def list_events():
    db = store().db
    found = feed.since(db, int_arg("since", 0), session_id=int_arg("session_id"),
                         limit=int_arg("limit", 1000, 1, 5000))
    return jsonify({"events": found, "last_seq": feed.last_seq(db)})


@api.operation("/audit", "GET", summary="Audit entries, the newest first (clinician, admin)", roles=REVIEWERS,
               response=s.page_of({"type": "object"}),
               query={"session_id": {"type": "integer", "minimum": 0}} | s.PAGE_QUERY, errors=(400,))
def list_audit():
    session_id = int_arg("session_id")
    return page_of("audit", lambda after, limit: lists.audit_page(store().db, session_id, after, limit))
