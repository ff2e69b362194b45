"""The clinic's reports as data: the alarm review (clinicians, admins)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import jsonify, request

from ...errors import BadRequest
from ...timeutil import parse
from ...views import alarms
from . import schemas as s
from .common import REVIEWERS, api, store, zone

DEFAULT_DAYS = 7  # the window when none is given: the last week
WINDOW = {"from": {"type": "string", "description": "ISO 8601; default 7 days before `to`"},
          "to": {"type": "string", "description": "ISO 8601; default now"}}
FIGURES = {"type": "object", "properties": {
    "alarms": s.INT, "per_session": s.nullable({"type": "number"}), "acknowledged": s.INT,
    "acknowledged_percent": {"type": "number"}, "acknowledge_seconds": {"type": "object"},
    "silences": s.INT, "reraises": s.INT, "self_cleared": s.INT, "self_cleared_percent": {"type": "number"}}}
REVIEW_OUT = {"type": "object", "required": ["from", "to", "sessions", "alarms", "review", "rules", "versions"],
              "properties": {"from": s.STR, "to": s.STR, "sessions": s.INT, "alarms": s.INT,
                             "review": {"type": "array", "items": {"type": "object"}},
                             "rules": {"type": "array", "items": FIGURES},
                             "versions": {"type": "array", "items": FIGURES}}}


def window() -> tuple[datetime, datetime]:
    """The report's window from `?from=&to=` (clinic time when no offset is given); 400 when unreadable."""
    end = moment_arg("to") or store().now()
    start = moment_arg("from") or end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise BadRequest("from must be before to", {"from": "must be before to"})
    return start, end


def moment_arg(name: str) -> datetime | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return parse(raw, zone())
    except ValueError:
        raise BadRequest(f"{name} is not an ISO 8601 time", {name: "is not an ISO 8601 time"}) from None


@api.operation("/reports/alarms", "GET", summary="Alarm review for a window: per rule and priority, and per"
               " rule-set version (clinician, admin)", roles=REVIEWERS, response=REVIEW_OUT, query=WINDOW)
def alarm_review():
    start, end = window()
    return jsonify(alarms.alarm_review(store().db, start, end))
